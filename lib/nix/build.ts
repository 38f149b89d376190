// Builds systems: one nix-build call per distinct search path (normally exactly one), through
// <nixpkgs/nixos/lib/eval-config.nix>; then registers a GC root per system under the project folder.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResolvedHive, ResolvedSystem } from '../inventory/types.ts';
import { checked, type Spawner } from '../exec/spawn.ts';
import { addRootArgv, deriverArgv, nixBuildArgv } from './argv.ts';

export const HIVE_EXPRESSION = fileURLToPath(new URL('./hive.nix', import.meta.url));

export interface BuiltSystem {
  outPath: string;
  drvPath: string | undefined;
}

export interface BuildOptions {
  spawn: Spawner;
  /** Folder for GC roots that keep results between runs (e.g. `<root>/.hive/gcroots`). */
  gcrootDir: string;
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  signal?: AbortSignal;
  env?: Record<string, string | undefined>;
}

/** Systems grouped by their merged search path: each group is one nix-build call. */
export function groupBySearchPath(systems: ResolvedSystem[]): ResolvedSystem[][] {
  const groups = new Map<string, ResolvedSystem[]>();
  for (const s of systems) {
    const key = JSON.stringify(s.paths);
    const g = groups.get(key);
    if (g) g.push(s);
    else groups.set(key, [s]);
  }
  return [...groups.values()];
}

/** The attribute each system is built as: positional, so no system name is ever parsed as an attr path. */
export function specAttr(index: number): string {
  return `s${index}`;
}

/** The JSON that hive.nix reads (no user data is ever spliced into Nix source or attr paths). */
export function buildSpec(systems: ResolvedSystem[]): {
  systems: Record<string, { name: string; system: string; modules: string[] }>;
} {
  const out: Record<string, { name: string; system: string; modules: string[] }> = {};
  for (const [i, s] of systems.entries())
    out[specAttr(i)] = { name: s.name, system: s.system, modules: s.modules };
  return { systems: out };
}

export async function buildSystems(
  hive: ResolvedHive,
  systemNames: string[],
  options: BuildOptions,
): Promise<Record<string, BuiltSystem>> {
  const systems = systemNames.map((n) => {
    const s = hive.systems[n];
    if (!s) throw new Error(`buildSystems: unknown system ${n}`);
    return s;
  });
  const result: Record<string, BuiltSystem> = {};
  if (systems.length === 0) return result;
  const spawnOpts = { onLine: options.onLine, signal: options.signal, env: options.env };
  const work = await mkdtemp(path.join(tmpdir(), 'nix-hive-build-'));
  try {
    await mkdir(options.gcrootDir, { recursive: true });
    for (const [i, group] of groupBySearchPath(systems).entries()) {
      const specFile = path.join(work, `spec-${i}.json`);
      await writeFile(specFile, JSON.stringify(buildSpec(group)));
      const argv = nixBuildArgv({
        expressionFile: HIVE_EXPRESSION,
        specFile,
        searchPath: group[0]!.paths,
        attrs: group.map((_s, i) => specAttr(i)),
      });
      const r = await checked(options.spawn, argv.command, argv.args, { ...spawnOpts, what: 'nix-build' });
      const outs = r.stdout.split('\n').filter((l) => l.startsWith('/'));
      if (outs.length !== group.length) {
        throw new Error(`nix-build printed ${outs.length} paths for ${group.length} systems`);
      }
      const drv = deriverArgv(outs);
      const drvs = (await checked(options.spawn, drv.command, drv.args, spawnOpts)).stdout.split('\n');
      for (const [j, s] of group.entries()) {
        const outPath = outs[j]!;
        const d = drvs[j]?.trim();
        result[s.name] = { outPath, drvPath: d && d !== 'unknown-deriver' ? d : undefined };
        const root = addRootArgv(outPath, path.join(options.gcrootDir, s.name));
        await checked(options.spawn, root.command, root.args, spawnOpts);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return result;
}
