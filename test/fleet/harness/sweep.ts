// Removes what crashed fleet runs (SIGKILL, OOM) left behind: netns groups `nh-<run>-*` in which no
// process lives any more, their uplink and their /tmp folder. Live runs and the demo always have processes.
// Run by hand: `node --import tsx test/fleet/harness/sweep.ts`.
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { disposeSync, netnsPids } from './dispose.ts';
import { NETNS_PREFIX } from './names.ts';
import { run } from './proc.ts';

/** Runs whose namespaces are all empty and older than `minAgeMs` (a run being set up is never taken). */
export async function staleRuns(minAgeMs = 120_000): Promise<Map<string, string[]>> {
  const list = (await run(['ip', 'netns', 'list'])).stdout;
  const groups = new Map<string, string[]>();
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${NETNS_PREFIX}([0-9a-f]{6})-`).exec(name);
    if (!m) continue;
    groups.set(m[1]!, [...(groups.get(m[1]!) ?? []), name]);
  }
  const stale = new Map<string, string[]>();
  for (const [runId, names] of groups) {
    const young = names.some((n) => {
      try {
        return Date.now() - statSync(`/run/netns/${n}`).ctimeMs < minAgeMs;
      } catch {
        return false;
      }
    });
    if (!young && names.every((n) => netnsPids(n).length === 0)) stale.set(runId, names);
  }
  return stale;
}

/** Tears down every stale run; returns their run ids. */
export async function sweepStaleFleets(minAgeMs?: number): Promise<string[]> {
  const stale = await staleRuns(minAgeMs);
  for (const [runId, netns] of stale) {
    const dir = `/tmp/nh-${runId}`;
    disposeSync({ pids: new Set(), netns, uplink: `nh${runId}up`, dir, keepDir: !existsSync(dir) });
  }
  return [...stale.keys()];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const swept = await sweepStaleFleets();
  console.log(swept.length ? `swept stale fleet runs: ${swept.join(', ')}` : 'no stale fleet runs');
}
