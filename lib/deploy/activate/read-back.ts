// Reads back the outcome of a detached job on a host (an activation, a rollback): waits for its status file
// over the run's connection, reconnecting when the connection drops meanwhile, bounded by a deadline. A
// rollback's wait also ends at once (status `gone`) when the watchdog that would write it is dead.
import { CommandError, HostError, SshError } from '../../errors.ts';
import { parseWaitOutput, waitActivationArgv } from '../../nix/detached.ts';
import type { RemoteCtx } from '../context.ts';
import type { StepIO } from '../run/run-dag.ts';
import { pollUntil } from '../../util/poll.ts';

export interface ReadBack {
  status: string;
  lines: string[];
}

/** The job's exit status and output; throws HiveError when it does not end within `timeoutMs`. */
export async function readBack(
  ctx: RemoteCtx,
  instance: string,
  id: string,
  timeoutMs: number,
  io: Pick<StepIO, 'log' | 'signal'>,
  what: string,
  /** The wait command (default waitActivationArgv); an exit in `goneCodes` returns status `gone` at once. */
  wait: { argv: (secondsLeft: number) => string[]; goneCodes: number[] } = {
    argv: (left) => waitActivationArgv(id, left),
    goneCodes: [],
  },
): Promise<ReadBack> {
  let lastError: Error | undefined;
  // null: the wait itself ran out (exit 124); undefined: retry after a lost connection.
  const got = await pollUntil(
    async (leftMs): Promise<ReadBack | null | undefined> => {
      try {
        const r = await ctx.remote(instance, wait.argv(leftMs / 1000), { signal: io.signal, root: true });
        if (r.exitCode === 0) return parseWaitOutput(r.stdout);
        if (wait.goneCodes.includes(r.exitCode)) return { status: 'gone', lines: [] };
        if (r.exitCode === 124) return null;
        throw new CommandError(r, `waiting for the ${what} on ${instance}`);
      } catch (err) {
        if (io.signal.aborted || !(err instanceof SshError || err instanceof CommandError)) throw err;
        lastError = err;
        io.log(
          'stderr',
          `nix-hive: lost the connection while ${what === 'activation' ? 'activating' : `waiting for the ${what}`} (${err.message}); reconnecting`,
        );
        return undefined;
      }
    },
    { interval: 1000, timeout: timeoutMs, signal: io.signal },
  );
  if (got) return got;
  if (io.signal.aborted) throw new HostError(`interrupted while waiting for the ${what} on ${instance}`);
  throw new HostError(`the ${what} on ${instance} did not finish in ${Math.round(timeoutMs / 1000)}s`, {
    cause: lastError,
  });
}
