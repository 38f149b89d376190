// Builds systems: one nix invocation per group (build-groups.ts; normally one nix-build for every modules
// system and one `nix build` for every flake system), then a GC root per system under the project folder.
// When a batch fails, the failing systems are found (each evaluated alone, then, if all evaluate, each
// built alone) and only they fail, with Nix's own message; the others are built in one call again.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResolvedHive, ResolvedSystem } from '../inventory/types.ts';
import { checked, type Spawner, type SpawnResult } from '../exec/spawn.ts';
import { HiveError } from '../errors.ts';
import { toplevelInstallable } from '../inventory/flake-ref.ts';
import { addRootArgv, deriverArgv, instantiateArgv } from './argv.ts';
import { flakeDrvPathArgv } from './flake-argv.ts';
import { buildSpec, groupArgv, groupSystems, specAttr, type BuildGroup } from './build-groups.ts';

export { buildSpec, groupBySearchPath, specAttr } from './build-groups.ts';

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

export interface BuildOutcome {
  built: Record<string, BuiltSystem>;
  /** Systems that failed, with Nix's own message. */
  failed: Record<string, string>;
}

/** Builds what it can; a broken system fails alone. */
export async function buildSystemsSettled(
  hive: ResolvedHive,
  systemNames: string[],
  options: BuildOptions,
): Promise<BuildOutcome> {
  const systems = systemNames.map((n) => {
    const s = hive.systems[n];
    if (!s) throw new Error(`buildSystems: unknown system ${n}`);
    return s;
  });
  const outcome: BuildOutcome = { built: {}, failed: {} };
  if (systems.length === 0) return outcome;
  const work = await mkdtemp(path.join(tmpdir(), 'nix-hive-build-'));
  try {
    await mkdir(options.gcrootDir, { recursive: true });
    for (const [i, group] of groupSystems(systems).entries()) {
      await buildGroup(group, path.join(work, `spec-${i}.json`), options, outcome);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return outcome;
}

/** Builds everything or throws naming the first system that failed. */
export async function buildSystems(
  hive: ResolvedHive,
  systemNames: string[],
  options: BuildOptions,
): Promise<Record<string, BuiltSystem>> {
  const { built, failed } = await buildSystemsSettled(hive, systemNames, options);
  const bad = Object.entries(failed);
  if (bad.length > 0)
    throw new HiveError('E_COMMAND', bad.map(([name, why]) => `build ${name} failed: ${why}`).join('; '));
  return built;
}

async function buildGroup(
  group: BuildGroup,
  specFile: string,
  options: BuildOptions,
  outcome: BuildOutcome,
): Promise<void> {
  const spawnOpts = { onLine: options.onLine, signal: options.signal, env: options.env };
  await writeFile(specFile, JSON.stringify(buildSpec(group.systems)));
  const argv = groupArgv(group, HIVE_EXPRESSION, specFile);
  const r = await options.spawn(argv.command, argv.args, spawnOpts);
  options.signal?.throwIfAborted();
  if (r.exitCode === 0) {
    await record(group, r, options, outcome);
    return;
  }
  if (group.systems.length === 1) {
    outcome.failed[group.systems[0]!.name] = nixMessage(r);
    return;
  }
  // Which systems are broken? Evaluate each alone; if every one evaluates, build each alone.
  const broken = new Map<string, string>();
  for (const [i, s] of group.systems.entries()) {
    const e = evalArgv(group, s, i, specFile);
    const one = await options.spawn(e.command, e.args, spawnOpts);
    options.signal?.throwIfAborted();
    if (one.exitCode !== 0) broken.set(s.name, nixMessage(one));
  }
  if (broken.size === 0) {
    for (const s of group.systems)
      await buildGroup({ kind: group.kind, systems: [s] }, specFile, options, outcome);
    return;
  }
  for (const [name, why] of broken) outcome.failed[name] = why;
  const rest = group.systems.filter((s) => !broken.has(s.name));
  if (rest.length > 0) await buildGroup({ kind: group.kind, systems: rest }, specFile, options, outcome);
}

function evalArgv(group: BuildGroup, s: ResolvedSystem, index: number, specFile: string) {
  if (group.kind === 'flake') return flakeDrvPathArgv(toplevelInstallable(s.flake!));
  return instantiateArgv({
    expressionFile: HIVE_EXPRESSION,
    specFile,
    searchPath: s.paths,
    attr: specAttr(index),
  });
}

async function record(group: BuildGroup, r: SpawnResult, options: BuildOptions, outcome: BuildOutcome) {
  const spawnOpts = { onLine: options.onLine, signal: options.signal, env: options.env };
  let results: BuiltSystem[];
  if (group.kind === 'flake') {
    const json = JSON.parse(r.stdout) as Array<{ drvPath?: string; outputs: { out: string } }>;
    results = json.map((j) => ({ outPath: j.outputs.out, drvPath: j.drvPath }));
  } else {
    const outs = r.stdout.split('\n').filter((l) => l.startsWith('/'));
    const drv = deriverArgv(outs);
    const drvs = outs.length
      ? (await checked(options.spawn, drv.command, drv.args, spawnOpts)).stdout.split('\n')
      : [];
    results = outs.map((outPath, j) => {
      const d = drvs[j]?.trim();
      return { outPath, drvPath: d && d !== 'unknown-deriver' ? d : undefined };
    });
  }
  if (results.length !== group.systems.length)
    throw new Error(`${r.command} printed ${results.length} paths for ${group.systems.length} systems`);
  for (const [j, s] of group.systems.entries()) {
    outcome.built[s.name] = results[j]!;
    const root = addRootArgv(results[j]!.outPath, path.join(options.gcrootDir, s.name));
    await checked(options.spawn, root.command, root.args, spawnOpts);
  }
}

/** Nix's own error line (`syntax error, unexpected ';'` …), not the `--show-trace` hint after it. */
export function nixMessage(r: SpawnResult): string {
  const lines = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const errors = lines
    .filter((l) => l.startsWith('error:'))
    .map((l) => l.slice('error:'.length).trim())
    .filter(Boolean);
  const at = lines.find((l) => /^at .+:\d+:\d+:?$/.test(l))?.replace(/:$/, '');
  const message =
    errors.pop() ??
    lines.filter((l) => !l.includes('--show-trace')).pop() ??
    `${r.command} exited with code ${r.exitCode}`;
  return at ? `${message} (${at})` : message;
}
