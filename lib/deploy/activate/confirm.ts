// Confirm or roll back one activation (`switch`/`test`; the protocol is in nix/watchdog.ts). `arm` starts the
// host's watchdog before the switch; after it, `confirm` claims the verdict `confirmed` over a NEW ssh
// connection (a host that no longer accepts connections cannot be confirmed, so it rolls itself back once
// its window ends), and `rollBack` claims `check-failed`/`activation-failed` so the watchdog returns the host
// at once. Either way the deployer reads the rollback's outcome back and reports `rolled-back`, never ok.
import { CommandError, HostError, RolledBackError, SshError } from '../../errors.ts';
import type { Goal } from '../../nix/goal.ts';
import {
  armWatchdogArgv,
  heartbeatArgv,
  resumeWatchdogArgv,
  rollbackId,
  verdictArgv,
  waitRollbackArgv,
  WATCHDOG_GONE,
  type Verdict,
} from '../../nix/watchdog.ts';
import type { ActivateCtx, RemoteCtx } from '../context.ts';
import { readBack } from './read-back.ts';
import type { StepIO } from '../run/run-dag.ts';
import { lastLine } from '../../util/last-line.ts';
import { pollUntil } from '../../util/poll.ts';

/** How long a rollback may take once decided. */
const ROLLBACK_LIMIT_MS = 300_000;

/** Confirmed by then (a fifth of the window at most), the deployer sends no heartbeat (see confirm). */
export const HEARTBEAT_AFTER_MS = 2000;

/** Starts the watchdog; resolves with the system the host ran before ('' when none). */
export async function arm(
  ctx: RemoteCtx,
  instance: string,
  id: string,
  goal: Goal,
  confirmTimeoutS: number,
  io: StepIO,
): Promise<string> {
  const r = await ctx.remote(instance, armWatchdogArgv(id, goal, confirmTimeoutS), {
    signal: io.signal,
    root: true,
  });
  if (r.exitCode !== 0) throw new CommandError(r, `arming the rollback watchdog on ${instance}`);
  const previous = r.stdout.trim();
  io.log(
    'stderr',
    `nix-hive: watchdog armed: unless confirmed within ${confirmTimeoutS}s after the switch, ${instance} returns to ${previous || '(no previous system)'}`,
  );
  return previous;
}

/**
 * Sends heartbeats over the existing connection every third of the window while the deployer works (the
 * checks), so the window of the final confirmation is the full `confirmTimeout`; returns the stop function.
 */
export function keepAlive(
  ctx: RemoteCtx,
  instance: string,
  id: string,
  confirmTimeoutS: number,
  io: StepIO,
): () => Promise<void> {
  let inFlight: Promise<unknown> = Promise.resolve();
  const beat = () => (inFlight = heartbeat(ctx, instance, id, confirmTimeoutS, io));
  beat();
  const timer = setInterval(beat, Math.max(200, (confirmTimeoutS * 1000) / 3));
  return async () => {
    clearInterval(timer);
    await inFlight;
  };
}

/** One heartbeat over the existing connection: the watchdog's window starts again; a failure is ignored. */
function heartbeat(ctx: RemoteCtx, instance: string, id: string, confirmTimeoutS: number, io: StepIO) {
  return ctx
    .remote(instance, heartbeatArgv(id), { signal: io.signal, root: true, timeoutMs: confirmTimeoutS * 1000 })
    .catch(() => {});
}

/** Withdraws the watchdog when the activation never started (nothing to roll back). */
export async function disarm(ctx: RemoteCtx, instance: string, id: string, io: StepIO): Promise<void> {
  await ctx.remote(instance, verdictArgv(id, 'cancelled'), { signal: io.signal, root: true }).catch(() => {});
}

/**
 * Waits for the watchdog's rollback; throws RolledBackError when it succeeded, HiveError when it did not. A
 * watchdog found dead (killed) before it rolled back is noticed at once and started again, once.
 */
async function rolledBack(
  ctx: RemoteCtx,
  instance: string,
  id: string,
  reason: string,
  previous: string,
  io: StepIO,
  byItself = false,
): Promise<never> {
  const wait = () =>
    readBack(ctx, instance, rollbackId(id), ROLLBACK_LIMIT_MS, io, 'rollback', {
      argv: (left) => waitRollbackArgv(id, left),
      goneCodes: [WATCHDOG_GONE],
    });
  let r = await wait();
  if (r.status === 'gone') {
    // Killed before it rolled back: start it again (once), with what it was armed with, so it does now.
    io.log('stderr', `nix-hive: the rollback watchdog on ${instance} is gone (killed?); starting it again`);
    const again = await ctx.remote(instance, resumeWatchdogArgv(id), { signal: io.signal, root: true });
    const stands = again.stdout.trim();
    if (again.exitCode !== 0) {
      const why = lastLine(again.stderr) || `exit ${again.exitCode}`;
      throw new HostError(
        `${reason}; the rollback watchdog on ${instance} is gone (killed?) and could not be started again (${why}): nothing rolled it back`,
      );
    }
    if (stands === 'confirmed') throw new HostError(`${reason} (the switch was already confirmed)`);
    r = await wait();
    reason = `${reason}; the watchdog was killed and started again`;
  }
  for (const line of r.lines) io.log('stdout', line);
  if (r.status === 'gone') {
    throw new HostError(
      `${reason}; the rollback watchdog on ${instance} is gone again (killed?), so nothing rolled it back`,
    );
  }
  if (r.status === '0')
    throw new RolledBackError(
      `${reason}${byItself ? '; the host rolled itself back' : ''}; rolled back to ${previous}`,
    );
  if (r.status === '3') throw new HostError(`${reason}; no previous system to roll back to`);
  throw new HostError(
    `${reason}; the rollback failed (exit ${r.status}${r.lines.at(-1) ? `: ${r.lines.at(-1)}` : ''})`,
  );
}

/** Claims the verdict `verdict`, so the watchdog rolls the host back now, and reports the rollback. */
export async function rollBack(
  ctx: RemoteCtx,
  instance: string,
  id: string,
  verdict: Exclude<Verdict, 'confirmed' | 'cancelled'>,
  reason: string,
  previous: string,
  io: StepIO,
): Promise<never> {
  const r = await ctx.remote(instance, verdictArgv(id, verdict), { signal: io.signal, root: true });
  const stands = r.stdout.trim();
  io.log('stderr', `nix-hive: ${reason}: rolling ${instance} back (verdict ${stands || verdict})`);
  if (stands === 'confirmed') throw new HostError(`${reason} (the switch was already confirmed)`);
  return rolledBack(
    ctx,
    instance,
    id,
    stands === 'timeout' ? `${reason} (and not confirmed in time)` : reason,
    previous,
    io,
  );
}

/**
 * Confirms over a new connection, retrying until the host's window (plus a little) has passed. A host
 * that cannot be reached anew rolls itself back: that rollback is read over the existing connection.
 *
 * The host's window began when its switch ended there, and the deployer may learn of that end late (a
 * loaded host, deployer or jump host: seen on 1 + 120 hosts on 2 CPUs, 18 s late with a 30 s window). So
 * unless the first attempt succeeds at once, one heartbeat over the existing connection starts the window
 * again: the deployer gets the whole window for its new connection, not what is left of it. No attempt
 * takes more than half the window (10 s at least), so one that hangs is tried again.
 */
export async function confirm(
  ctx: RemoteCtx & Pick<ActivateCtx, 'fresh'>,
  instance: string,
  id: string,
  confirmTimeoutS: number,
  previous: string,
  io: StepIO,
): Promise<void> {
  let last = '';
  let beat: Promise<unknown> | undefined;
  const slow = setTimeout(
    () => (beat = heartbeat(ctx, instance, id, confirmTimeoutS, io)),
    Math.min(HEARTBEAT_AFTER_MS, confirmTimeoutS * 200),
  );
  const attemptMs = Math.max(10_000, (confirmTimeoutS * 1000) / 2);
  // true: confirmed; false: the host has another verdict; undefined: the window (plus a little) has passed.
  const confirmed = await pollUntil(
    async (left) => {
      try {
        const argv = verdictArgv(id, 'confirmed');
        const o = { root: true, signal: io.signal, timeoutMs: Math.max(1000, Math.min(left, attemptMs)) };
        const r = ctx.fresh ? await ctx.fresh(instance, argv, o) : await ctx.remote(instance, argv, o);
        const verdict = r.stdout.trim();
        if (r.exitCode === 0 && verdict === 'confirmed') {
          io.log('stderr', `nix-hive: confirmed over a new connection`);
          return true;
        }
        if (r.exitCode === 0 && verdict !== '') return false;
        last = r.timedOut ? 'timed out' : `exit ${r.exitCode}: ${lastLine(r.stderr || r.stdout)}`;
      } catch (err) {
        if (!(err instanceof SshError)) throw err;
        last = err instanceof Error ? err.message : String(err);
      }
      io.log('stderr', `nix-hive: cannot confirm over a new connection yet (${last}); retrying`);
      return undefined;
    },
    { interval: 1000, timeout: confirmTimeoutS * 1000 + 2000, signal: io.signal },
  ).finally(async () => {
    clearTimeout(slow);
    await beat;
  });
  if (confirmed) return;
  return rolledBack(ctx, instance, id, unconfirmed(confirmTimeoutS, last), previous, io, true);
}

function unconfirmed(seconds: number, last: string): string {
  return `no confirmation over a new ssh connection within ${seconds}s${last ? ` (${last})` : ''}`;
}
