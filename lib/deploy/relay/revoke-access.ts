// The end of a run's host-to-host access (build host pushes, relay pulls): one remote command as root per
// host that removes a grant or a key folder. A failure only warns: every grant expires on its own within
// GRANT_MINUTES, and the deploy's outcome is already decided.
import { GRANT_MINUTES } from '../../ssh/run-access.ts';
import type { RemoteCtx, SayCtx } from '../context.ts';
import { lastLine } from '../../util/last-line.ts';

export async function undoAccess(
  ctx: RemoteCtx & SayCtx,
  host: string,
  argv: string[],
  what: string,
): Promise<void> {
  try {
    const r = await ctx.remote(host, argv, { root: true, timeoutMs: 30_000 });
    if (r.exitCode !== 0) throw new Error(lastLine(r.stderr) || `exit ${r.exitCode}`);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    ctx.say(
      `could not remove ${what} on ${host}: ${why} (it expires within ${GRANT_MINUTES} minutes)`,
      'warn',
    );
  }
}
