// Builds systems in two stages. Evaluation: the evaluator pool (eval-pool.ts) turns each system into its
// derivation, `jobs` processes at once with bounded memory, unless the evaluation cache (given by the caller)
// still holds it (evaluateStage; systems with a build host take it too, deploy/build/build-host.ts, and are
// realised there). Realisation here (realiseHere): one `nix-build` of every .drv per distinct build settings, so
// Nix's scheduler and `builders` see them all at once; then a GC root per system under the project folder.
// A system that fails to evaluate fails alone; when a realisation fails, each derivation is realised alone
// to find which (the others are built by then), and only those fail, with Nix's own message.
import { mkdtemp, mkdir, readlink, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResolvedHive, ResolvedSystem } from '../inventory/types.ts';
import { checked, type Spawner } from '../exec/spawn.ts';
import { HiveError } from '../errors.ts';
import { addRootArgv, realiseArgv } from './argv.ts';
import { DEFAULT_EVAL_MAX_MEMORY_MIB, evaluateSystems, type Evaluated } from './eval-pool.ts';
import { nixMessage } from './nix-message.ts';

export { buildSpec, groupBySearchPath, specAttr } from './build-groups.ts';
export { nixMessage } from './nix-message.ts';

export const HIVE_EXPRESSION = fileURLToPath(new URL('./hive.nix', import.meta.url));

export interface BuiltSystem {
  outPath: string;
  drvPath: string | undefined;
}

/** The evaluation cache as the build sees it: derivations it may reuse, and where to remember new ones. */
export interface EvalCacheHandle {
  /** The systems whose derivation is reused, checked in the store; the rest are evaluated. */
  lookup(systems: ResolvedSystem[]): Promise<Map<string, Evaluated>>;
  remember(evaluated: Record<string, Evaluated>): Promise<void>;
  /** After lookup: why each system it did not reuse is evaluated. */
  misses: Map<string, string>;
}

export interface EvalSettings {
  /** Evaluator processes at once (default: the number of CPUs). */
  jobs?: number;
  /** MiB per evaluator process before it is replaced (default 2048). */
  maxMemoryMiB?: number;
  /** Reuse derivations whose inputs did not change; absent = evaluate every system. */
  cache?: EvalCacheHandle;
}

export interface BuildOptions {
  spawn: Spawner;
  /** Folder for GC roots that keep results between runs (e.g. `<root>/.hive/gcroots`). */
  gcrootDir: string;
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  signal?: AbortSignal;
  env?: Record<string, string | undefined>;
  eval?: EvalSettings;
}

export interface BuildOutcome {
  built: Record<string, BuiltSystem>;
  /** Systems that failed, with Nix's own message. */
  failed: Record<string, string>;
}

export function defaultEvalJobs(): number {
  return availableParallelism();
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
  const { evaluated, failed } = await evaluateStage(systems, options);
  const outcome: BuildOutcome = { built: {}, failed };
  await realiseHere(
    systems.filter((s) => evaluated.has(s.name)),
    evaluated,
    options,
    outcome,
  );
  return outcome;
}

/**
 * The evaluation stage alone, wherever the systems are then realised (here, or on a build host): each
 * system's derivation from the cache while its inputs are unchanged and the .drv is in the local store,
 * the rest from the evaluator pool. A system that fails to evaluate is in `failed`, with Nix's message.
 */
export async function evaluateStage(
  systems: ResolvedSystem[],
  options: Omit<BuildOptions, 'gcrootDir'>,
): Promise<{ evaluated: Map<string, Evaluated>; failed: Record<string, string> }> {
  const evaluated = new Map<string, Evaluated>();
  const failed: Record<string, string> = {};
  if (systems.length === 0) return { evaluated, failed };
  const cache = options.eval?.cache;
  const reused = cache ? await cache.lookup(systems) : new Map<string, Evaluated>();
  for (const [name, e] of reused) {
    evaluated.set(name, e);
    options.onLine?.('stderr', `nix-hive: ${name}: derivation from the evaluation cache (inputs unchanged)`);
  }
  const toEvaluate = systems.filter((s) => !reused.has(s.name));
  for (const s of toEvaluate) {
    const why = cache?.misses.get(s.name);
    if (why) options.onLine?.('stderr', `nix-hive: evaluating ${s.name}: ${why}`);
  }
  if (toEvaluate.length === 0) return { evaluated, failed };
  const work = await mkdtemp(path.join(tmpdir(), 'nix-hive-eval-'));
  try {
    const r = await evaluateSystems(toEvaluate, {
      spawn: options.spawn,
      jobs: options.eval?.jobs ?? defaultEvalJobs(),
      maxMemory: (options.eval?.maxMemoryMiB ?? DEFAULT_EVAL_MAX_MEMORY_MIB) * 2 ** 20,
      workDir: work,
      onLine: options.onLine,
      signal: options.signal,
      env: options.env,
    });
    Object.assign(failed, r.failed);
    for (const [name, e] of Object.entries(r.evaluated)) evaluated.set(name, e);
    await cache?.remember(r.evaluated);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { evaluated, failed };
}

/** The realisation stage here: evaluated systems built, one call per build settings, each with a GC root. */
export async function realiseHere(
  systems: ResolvedSystem[],
  evaluated: Map<string, Evaluated>,
  options: BuildOptions,
  outcome: BuildOutcome,
): Promise<void> {
  if (systems.length === 0) return;
  await mkdir(options.gcrootDir, { recursive: true });
  for (const group of settingsGroups(systems)) await realise(group, evaluated, options, outcome);
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

/** Systems that share Nix's `builders` and `max-jobs` settings share one realisation. */
function settingsGroups(systems: ResolvedSystem[]): ResolvedSystem[][] {
  const groups = new Map<string, ResolvedSystem[]>();
  for (const s of systems) {
    const key = JSON.stringify([s.build?.builders ?? null, s.build?.maxJobs ?? null]);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()];
}

async function realise(
  group: ResolvedSystem[],
  evaluated: Map<string, Evaluated>,
  options: BuildOptions,
  outcome: BuildOutcome,
): Promise<void> {
  const spawnOpts = { onLine: options.onLine, signal: options.signal, env: options.env };
  const settings = { builders: group[0]!.build?.builders, maxJobs: group[0]!.build?.maxJobs };
  const drvOf = (s: ResolvedSystem) => evaluated.get(s.name)!.drvPath;
  const argv = realiseArgv(group.map(drvOf), settings);
  const r = await options.spawn(argv.command, argv.args, spawnOpts);
  options.signal?.throwIfAborted();
  let ok = group;
  if (r.exitCode !== 0) {
    if (group.length === 1) {
      outcome.failed[group[0]!.name] = nixMessage(r);
      return;
    }
    // Which ones failed? Each alone: those that were built in the batch are valid now and return at once.
    ok = [];
    for (const s of group) {
      const one = realiseArgv([drvOf(s)], settings);
      const r1 = await options.spawn(one.command, one.args, spawnOpts);
      options.signal?.throwIfAborted();
      if (r1.exitCode === 0) ok.push(s);
      else outcome.failed[s.name] = nixMessage(r1);
    }
  }
  for (const s of ok) {
    const e = evaluated.get(s.name)!;
    outcome.built[s.name] = { outPath: e.outPath, drvPath: e.drvPath };
    const root = path.join(options.gcrootDir, s.name);
    if (await rootHolds(root, e.outPath)) continue;
    const add = addRootArgv(e.outPath, root);
    await checked(options.spawn, add.command, add.args, spawnOpts);
  }
}

/** The GC root is already the indirect root of this path (an unchanged rebuild spawns nothing for it). */
async function rootHolds(root: string, outPath: string): Promise<boolean> {
  try {
    return (await readlink(root)) === outPath;
  } catch {
    return false;
  }
}
