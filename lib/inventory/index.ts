// The inventory layer's entry: load a hive.config.ts, import its inventory files, check it in three layers,
// resolve it, select targets.
import type { ResolvedHive } from './types.ts';
import { findConfig } from './find-config.ts';
import { loadConfigFile } from './load-config.ts';
import { InputError } from '../errors.ts';
import { analyzeHive } from './resolve.ts';
import { isSeedFile, readSeedFacts, seedToConfig } from './seed-format.ts';
import { expandFlakeSystems } from './flake-systems.ts';
import path from 'node:path';

export type * from './types.ts';
export { resolveHive, analyzeHive, BUILT_IN, type ResolveOptions } from './resolve.ts';
export { selectTargets } from './select.ts';
export { findConfig, CONFIG_NAMES } from './find-config.ts';
export { ConfigLoadError } from './config-load-error.ts';
export { parseStore } from './store-ref.ts';
export { mergeInstanceSources, type InstanceSource } from './merge-sources.ts';
export {
  fromTerraform,
  fromTerraformState,
  fromPulumi,
  fromInstances,
  type OutputOptions,
  type StateOptions,
} from './import/from-helpers.ts';
export type { TerraformResource } from './import/terraform-state.ts';

/**
 * Loads, checks and resolves the hive. `configPathOrDir` is a file or a folder (its hive.config.ts);
 * the default is ./hive.config.ts. Throws InputError with every problem; starts no process.
 */
export async function loadHive(configPathOrDir: string | undefined): Promise<ResolvedHive> {
  const file = findConfig(configPathOrDir);
  const seed = isSeedFile(file);
  let config = seed ? seedToConfig(await readSeedFacts(file)) : await loadConfigFile(file);
  config = await expandFlakeSystems(config, path.dirname(file), file);
  const { hive, problems } = analyzeHive(config, file, {
    checkFiles: true,
    ...(seed ? { seedFile: file } : {}),
  });
  if (problems.length > 0) throw new InputError(problems);
  return hive;
}
