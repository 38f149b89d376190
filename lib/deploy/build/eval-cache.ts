// The evaluation cache: a system whose evaluation key (state/fingerprint.ts, evaluationKey) is the one
// recorded with its derivation reuses that derivation instead of being evaluated, while the .drv is still
// valid in the store (the file is a cache, never the truth). Kept in `<hive root>/.hive/eval-cache.json`,
// written atomically; a file that cannot be read is an empty cache.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Spawner } from '../../exec/spawn.ts';
import type { ResolvedHive, ResolvedSystem } from '../../inventory/types.ts';
import { checkValidityArgv, nixVersionArgv } from '../../nix/argv.ts';
import type { EvalCacheHandle } from '../../nix/build.ts';
import { EVAL_WORKER, type Evaluated } from '../../nix/eval-pool.ts';
import { evaluationKey, notAnInput } from '../../state/fingerprint.ts';
import { treeHasher } from '../../state/tree-hash.ts';

export const EVAL_CACHE_VERSION = 1;

interface CacheEntry extends Evaluated {
  key: string;
  at: string;
}

interface CacheFile {
  version: typeof EVAL_CACHE_VERSION;
  systems: Record<string, CacheEntry>;
}

export function evalCachePath(hive: ResolvedHive): string {
  return path.join(hive.root, '.hive', 'eval-cache.json');
}

export function evalCache(
  hive: ResolvedHive,
  o: { spawn: Spawner; env?: Record<string, string | undefined>; file?: string },
): EvalCacheHandle {
  const file = o.file ?? evalCachePath(hive);
  const keys = new Map<string, string>();
  const misses = new Map<string, string>();
  const spawnOpts = { env: o.env };
  const lookup = async (systems: ResolvedSystem[]): Promise<Map<string, Evaluated>> => {
    const hits = new Map<string, Evaluated>();
    const version = nixVersionArgv();
    const probe = await o.spawn(version.command, version.args, spawnOpts);
    if (probe.exitCode !== 0) {
      for (const s of systems) misses.set(s.name, `\`${version.command} --version\` failed`);
      return hits;
    }
    const ctx = {
      root: hive.root,
      nixVersion: probe.stdout.trim(),
      env: { ...process.env, ...o.env },
      expressionFiles: ['eval-worker.nix', 'system-of.nix'].map((f) =>
        path.join(path.dirname(EVAL_WORKER), f),
      ),
      trees: treeHasher({ exclude: notAnInput }),
    };
    const cached = await read(file);
    const candidates: Array<[string, CacheEntry]> = [];
    for (const s of systems) {
      const k = await evaluationKey(s, ctx);
      if ('uncacheable' in k) {
        misses.set(s.name, k.uncacheable);
        continue;
      }
      keys.set(s.name, k.key);
      const c = cached.systems[s.name];
      if (!c) misses.set(s.name, 'not evaluated before');
      else if (c.key !== k.key) misses.set(s.name, 'its inputs changed');
      else candidates.push([s.name, c]);
    }
    if (candidates.length === 0) return hits;
    const check = checkValidityArgv(candidates.map(([, c]) => c.drvPath));
    const r = await o.spawn(check.command, [...check.args, '--print-invalid'], spawnOpts);
    const invalid = new Set(r.stdout.split('\n').filter(Boolean));
    for (const [name, c] of candidates) {
      if (r.exitCode !== 0) misses.set(name, `cannot check ${c.drvPath} in the store`);
      else if (invalid.has(c.drvPath)) misses.set(name, `${c.drvPath} is no longer in the store`);
      else hits.set(name, { drvPath: c.drvPath, outPath: c.outPath });
    }
    return hits;
  };
  const remember = async (evaluated: Record<string, Evaluated>): Promise<void> => {
    const entries = Object.entries(evaluated).filter(([name]) => keys.has(name));
    if (entries.length === 0) return;
    const current = await read(file);
    const at = new Date().toISOString();
    for (const [name, e] of entries) current.systems[name] = { ...e, key: keys.get(name)!, at };
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(current, null, 2) + '\n');
    await rename(tmp, file);
  };
  return { lookup, remember, misses };
}

async function read(file: string): Promise<CacheFile> {
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as Partial<CacheFile>;
    if (v.version === EVAL_CACHE_VERSION && v.systems && typeof v.systems === 'object')
      return { version: EVAL_CACHE_VERSION, systems: v.systems };
  } catch {
    // missing or unreadable: an empty cache
  }
  return { version: EVAL_CACHE_VERSION, systems: {} };
}
