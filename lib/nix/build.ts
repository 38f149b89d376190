// Builds systems with one nix-build call through <nixpkgs/nixos/lib/eval-config.nix>.
// (Being written: the signature is the contract the build command and the deploy runner use.)
import type { ResolvedHive } from '../inventory/types.ts';
import type { Spawner } from '../exec/spawn.ts';

export interface BuiltSystem {
  outPath: string;
  drvPath: string | undefined;
}

export interface BuildOptions {
  spawn: Spawner;
  /** Folder for out-links that keep results from garbage collection (e.g. `<root>/.hive/gcroots`). */
  gcrootDir: string;
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  signal?: AbortSignal;
}

export async function buildSystems(
  _hive: ResolvedHive,
  _systems: string[],
  _options: BuildOptions,
): Promise<Record<string, BuiltSystem>> {
  throw new Error('buildSystems: not written yet');
}
