// The remote part of one activation in ONE ssh round trip (nix/sequence.ts): arm the rollback watchdog (when
// guarded), set the profile and start switch-to-configuration detached, read which of kernel, initrd and modules
// changed (profile against booted system: known once the profile is set, so it is read while the switch runs, and
// the sequence ends as soon as the switch does), and wait for it to end. The commands are the same as when they
// ran one by one (watchdog.ts, detached.ts, reboot.ts), with the same failure handling: a failed arm throws, a
// failed start withdraws the watchdog; a connection lost once the switch was started reads the outcome back over a
// new one (read-back.ts).
import { CommandError, HostError, SshError } from '../../errors.ts';
import { startActivationArgv, parseWaitOutput, waitActivationArgv } from '../../nix/detached.ts';
import type { Goal } from '../../nix/goal.ts';
import { needsRebootArgv } from '../../nix/reboot.ts';
import { parseSequence, sequenceArgv } from '../../nix/sequence.ts';
import { armWatchdogArgv } from '../../nix/watchdog.ts';
import { disarm } from './confirm.ts';
import type { ActivateCtx, RemoteCtx } from '../context.ts';
import { readBack, type ReadBack } from './read-back.ts';
import type { StepIO } from '../run/run-dag.ts';

export interface ActivationRun {
  /** The system the host ran before ('' when none, or when not guarded). */
  previous: string;
  /** The switch's exit status and output. */
  result: ReadBack;
  /** Parts that changed against the booted system, when asked (undefined: not known, ask again). */
  rebootParts?: string[];
}

export async function armStartWait(
  ctx: RemoteCtx & Pick<ActivateCtx, 'activationTimeoutMs'>,
  o: {
    instance: string;
    id: string;
    outPath: string;
    goal: Goal;
    /** Arm the watchdog with this window first (seconds); absent: not guarded. */
    confirmS?: number;
    /** Run this specialisation of outPath (--specialisation). */
    specialisation?: string;
    /** Also read which boot parts changed. */
    rebootParts: boolean;
  },
  io: StepIO,
): Promise<ActivationRun> {
  const { instance, id } = o;
  const deadline = Date.now() + ctx.activationTimeoutMs;
  const guarded = o.confirmS !== undefined;
  const commands = [
    ...(guarded ? [armWatchdogArgv(id, o.goal, o.confirmS!)] : []),
    startActivationArgv(id, o.outPath, o.goal, undefined, o.specialisation),
    ...(o.rebootParts ? [needsRebootArgv()] : []),
    waitActivationArgv(id, ctx.activationTimeoutMs / 1000),
  ];
  // The watchdog's window opens when the switch ends: nothing runs between that end and the deployer's news.
  const start = guarded ? 1 : 0;
  const at = { start, reboot: start + 1, wait: start + (o.rebootParts ? 2 : 1) };
  // The switch runs on, detached: its outcome read anew, over a new connection if need be.
  const readAgain = () => readBack(ctx, instance, id, deadline - Date.now(), io, 'activation');
  let stdout = '';
  let r;
  try {
    r = await ctx.remote(instance, sequenceArgv(commands), {
      signal: io.signal,
      root: true,
      onLine: (stream, line) => {
        if (stream === 'stdout') stdout += `${line}\n`;
        else io.log(stream, line);
      },
    });
  } catch (err) {
    // Lost once the switch was started: it runs on, detached; its outcome is read back anew.
    if (!(err instanceof SshError) || io.signal.aborted) throw err;
    // The switch runs once what follows the start has begun.
    const seen = parseSequence(stdout).outputs.length;
    if (seen <= at.start + 1) throw err;
    const previous = guarded ? armed(parseSequence(stdout).outputs[0]!, o, io) : '';
    io.log('stderr', `nix-hive: lost the connection while activating (${err.message}); reconnecting`);
    return { previous, result: await readAgain() };
  }
  const seq = parseSequence(r.stdout || stdout);
  const previous = guarded && seq.outputs.length > 0 ? armed(seq.outputs[0]!, o, io) : '';
  const failed =
    seq.failed ?? (r.exitCode !== 0 ? { index: seq.outputs.length - 1, code: r.exitCode } : undefined);
  const failure = (what: string) =>
    new CommandError({ ...r, stdout: seq.outputs[failed!.index] ?? '', exitCode: failed!.code }, what);
  if (failed && guarded && failed.index === 0) throw failure(`arming the rollback watchdog on ${instance}`);
  if (failed && failed.index === at.start) {
    if (guarded) await disarm(ctx, instance, id, io);
    throw failure(`starting the activation on ${instance}`);
  }
  if (failed && o.rebootParts && failed.index === at.reboot) {
    // The switch runs; it is waited for anew (the boot parts stay unknown: asked again later).
    return { previous, result: await readAgain() };
  }
  if (failed && failed.index === at.wait) {
    if (failed.code === 124)
      throw new HostError(
        `the activation on ${instance} did not finish in ${Math.round(ctx.activationTimeoutMs / 1000)}s`,
      );
    return { previous, result: await readAgain() };
  }
  const result = parseWaitOutput(seq.outputs[at.wait] ?? '');
  const parts = o.rebootParts ? seq.outputs[at.reboot] : undefined;
  return {
    previous,
    result,
    ...(o.rebootParts && !failed && parts !== undefined
      ? {
          rebootParts: parts
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean),
        }
      : {}),
  };
}

function armed(out: string, o: { instance: string; confirmS?: number }, io: StepIO): string {
  const previous = out.trim();
  io.log(
    'stderr',
    `nix-hive: watchdog armed: unless confirmed within ${o.confirmS}s after the switch, ${o.instance} returns to ${previous || '(no previous system)'}`,
  );
  return previous;
}
