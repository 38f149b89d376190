// The reboot of `deploy --reboot` (after the profile was set with goal `boot`): record the boot id, reboot,
// then wait, bounded by `--reboot-timeout`, for the host to answer with a NEW boot id; the host is then
// `unreachable` if it never does, and failed unless /run/current-system is the new system. Also the
// "needs reboot" test after a switch or boot: the profile's kernel, initrd, modules or kernel parameters differ
// from the booted system's.
import { HostError, UnreachableError } from '../../errors.ts';
import { bootStateArgv, needsRebootArgv, parseBootState, rebootArgv } from '../../nix/reboot.ts';
import type { RemoteCtx } from '../context.ts';
import type { StepIO } from '../run/run-dag.ts';
import { pollUntil } from '../../util/poll.ts';

export async function bootId(ctx: RemoteCtx, instance: string, io: StepIO): Promise<string> {
  const r = await ctx.remote(instance, bootStateArgv(), { signal: io.signal });
  const id = parseBootState(r.stdout).bootId;
  if (r.exitCode !== 0 || id === '') throw new HostError(`cannot read the boot id of ${instance}`);
  return id;
}

export async function rebootAndWait(
  ctx: RemoteCtx,
  instance: string,
  before: string,
  expected: string,
  timeoutS: number,
  io: StepIO,
): Promise<void> {
  io.log('stderr', `nix-hive: rebooting ${instance} (boot id ${before})`);
  const r = await ctx.remote(instance, rebootArgv(), { signal: io.signal, root: true });
  if (r.exitCode !== 0) throw new HostError(`reboot on ${instance} exited with code ${r.exitCode}`);
  let last = 'no answer yet';
  const back = await pollUntil(
    async (left) => {
      try {
        const s = await ctx.remote(instance, bootStateArgv(), {
          signal: io.signal,
          timeoutMs: Math.max(1000, left),
        });
        const state = parseBootState(s.stdout);
        if (s.exitCode === 0 && state.bootId !== '' && state.bootId !== before) {
          io.log('stderr', `nix-hive: ${instance} is back (boot id ${state.bootId})`);
          if (state.current !== expected)
            throw new HostError(
              `after the reboot /run/current-system is ${state.current || '(none)'}, not ${expected}`,
            );
          return true;
        }
        last = s.exitCode === 0 ? 'still the old boot id' : `exit ${s.exitCode}`;
      } catch (err) {
        if (err instanceof HostError) throw err;
        last = err instanceof Error ? err.message : String(err);
      }
      return undefined;
    },
    { delay: 1500, interval: 1000, timeout: timeoutS * 1000, signal: io.signal },
  );
  if (back) return;
  throw new UnreachableError(
    `no new boot id from ${instance} within ${timeoutS}s after the reboot (${last})`,
  );
}

/** Which of kernel, initrd, kernel-modules, kernel-params of the profile differ from the booted system's. */
export async function needsReboot(ctx: RemoteCtx, instance: string, signal?: AbortSignal): Promise<string[]> {
  const r = await ctx.remote(instance, needsRebootArgv(), { signal });
  return r.exitCode === 0
    ? r.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
    : [];
}
