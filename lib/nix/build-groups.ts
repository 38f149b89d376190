// Pure: how systems are grouped for one Nix call each, and the spec file hive.nix and eval-worker.nix read.
// Systems built from modules (or the seed's `configuration`) group by distinct search path and build settings
// (a build host evaluates each group with one nix-instantiate; the evaluator pool gives one worker systems of
// one search path); flake systems group by build settings. A search path is compared as a set of entries, so
// the same entries in another order share a call (names are unique and hold no `/`, so no entry can shadow
// another and the order cannot change a lookup). `groupArgv` is the one-call build of a group.
import type { ResolvedSystem } from '../inventory/types.ts';
import { toplevelInstallable } from '../inventory/resolve/flake-ref.ts';
import { nixBuildArgv, type Argv } from './argv.ts';
import { flakeBuildArgv } from './flake-argv.ts';

export interface BuildGroup {
  kind: 'modules' | 'flake';
  systems: ResolvedSystem[];
}

/** The search path as a grouping key: its entries sorted (a repeated name keeps the order, as first wins). */
export function searchPathKey(paths: Array<[string, string]>): string {
  const names = paths.map(([n]) => n);
  const dupes = new Set(names).size !== names.length;
  const entries = dupes ? paths : [...paths].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(entries);
}

function settingsKey(s: ResolvedSystem): string {
  return JSON.stringify([s.build?.builders ?? null, s.build?.maxJobs ?? null]);
}

/** Groups in first-system order; each group is one nix invocation. */
export function groupSystems(systems: ResolvedSystem[]): BuildGroup[] {
  const groups = new Map<string, BuildGroup>();
  for (const s of systems) {
    const kind = s.flake ? 'flake' : 'modules';
    const key = `${kind}\0${settingsKey(s)}\0${kind === 'modules' ? searchPathKey(s.paths) : ''}`;
    const g = groups.get(key);
    if (g) g.systems.push(s);
    else groups.set(key, { kind, systems: [s] });
  }
  return [...groups.values()];
}

/** Kept for callers that only build modules: the nix-build groups. */
export function groupBySearchPath(systems: ResolvedSystem[]): ResolvedSystem[][] {
  return groupSystems(systems).map((g) => g.systems);
}

/** The attribute each system is built as: positional, so no system name is ever parsed as an attr path. */
export function specAttr(index: number): string {
  return `s${index}`;
}

export interface SpecEntry {
  name: string;
  system: string;
  modules: string[];
  seed?: { file: string; name: string };
}

/** The JSON that hive.nix reads (no user data is ever spliced into Nix source or attr paths). */
export function buildSpec(systems: ResolvedSystem[]): { systems: Record<string, SpecEntry> } {
  const out: Record<string, SpecEntry> = {};
  for (const [i, s] of systems.entries()) {
    out[specAttr(i)] = {
      name: s.name,
      system: s.system,
      modules: s.modules,
      ...(s.seedFile ? { seed: { file: s.seedFile, name: s.name } } : {}),
    };
  }
  return { systems: out };
}

/** The one call that builds a group (`specFile` holds buildSpec(group.systems) for a modules group). */
export function groupArgv(group: BuildGroup, expressionFile: string, specFile: string): Argv {
  const first = group.systems[0]!;
  const settings = { builders: first.build?.builders, maxJobs: first.build?.maxJobs };
  if (group.kind === 'flake')
    return flakeBuildArgv(
      group.systems.map((s) => toplevelInstallable(s.flake!)),
      settings,
    );
  return nixBuildArgv({
    expressionFile,
    specFile,
    searchPath: first.paths,
    attrs: group.systems.map((_s, i) => specAttr(i)),
    ...settings,
  });
}
