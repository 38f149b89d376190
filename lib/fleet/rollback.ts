// `nix-hive rollback`: each selected instance goes back to an earlier system generation (the previous one,
// or `--to <n>`): the profile is switched to it, then its switch-to-configuration runs detached and is read
// back as an activation is, so a dropped connection cannot leave the host half switched unnoticed.
import { HiveError } from '../errors.ts';
import type { ResolvedHive } from '../inventory/types.ts';
import { startActivationArgv } from '../nix/detached.ts';
import { parseSelected, selectGenerationArgv } from '../nix/rollback.ts';
import type { RemoteRunner } from '../deploy/context.ts';
import { readBack } from '../deploy/activate/read-back.ts';
import { lastLine } from '../util/last-line.ts';
import { mapLimit } from '../util/map-limit.ts';

export interface RollbackResult {
  instance: string;
  ok: boolean;
  generation: number | undefined;
  path: string | undefined;
  detail: string;
}

async function rollbackOne(
  remote: RemoteRunner,
  instance: string,
  to: number | undefined,
  id: string,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<RollbackResult> {
  const none = { instance, ok: false, generation: undefined, path: undefined };
  const sel = await remote(instance, selectGenerationArgv(to), { root: true, signal });
  const picked = parseSelected(sel.stdout);
  if (sel.exitCode !== 0 || !picked) {
    return { ...none, detail: lastLine(sel.stderr) || `exit ${sel.exitCode}` };
  }
  const start = await remote(instance, startActivationArgv(id, picked.path, 'switch'), {
    root: true,
    signal,
  });
  if (start.exitCode !== 0) {
    return { ...none, ...picked, detail: `starting the switch failed: ${start.stderr.trim()}` };
  }
  const log = () => {};
  const r = await readBack({ remote }, instance, id, timeoutMs, { log, signal }, 'activation');
  const last = r.lines.at(-1) ?? '';
  return r.status === '0'
    ? { instance, ok: true, ...picked, detail: `generation ${picked.generation}: ${picked.path}` }
    : {
        instance,
        ok: false,
        ...picked,
        detail: `switch-to-configuration switch exited with code ${r.status}: ${last}`,
      };
}

export async function rollbackFleet(
  hive: ResolvedHive,
  targets: string[],
  o: {
    remote: RemoteRunner;
    to?: number;
    runId: string;
    parallel: number;
    signal?: AbortSignal;
    timeoutMs?: number;
  },
): Promise<RollbackResult[]> {
  const signal = o.signal ?? new AbortController().signal;
  return mapLimit(targets, o.parallel, async (instance) => {
    if (!hive.instances[instance]) throw new HiveError('E_INPUT', `unknown instance ${instance}`);
    try {
      return await rollbackOne(
        o.remote,
        instance,
        o.to,
        `${o.runId}-rollback-${instance}`,
        signal,
        o.timeoutMs ?? 600_000,
      );
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      return { instance, ok: false, generation: undefined, path: undefined, detail };
    }
  });
}
