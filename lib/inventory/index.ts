// The inventory layer's entry: load a hive.config.ts, import its inventory files, check it in three layers,
// resolve it, select targets.
import type { ResolvedHive } from './types.ts';
import { findConfig } from './find-config.ts';
import { loadConfigFile } from './load-config.ts';
import { InputError } from '../errors.ts';
import { analyzeHive } from './resolve.ts';

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
 * the default is ./hive.config.ts. `signingKey` (a file) replaces the config's. Throws InputError with every
 * problem; starts no process and reads no key.
 */
export async function loadHive(
  configPathOrDir: string | undefined,
  options: { signingKey?: string } = {},
): Promise<ResolvedHive> {
  const file = findConfig(configPathOrDir);
  const config = await loadConfigFile(file);
  const { hive, problems } = analyzeHive(config, file, { checkFiles: true, signingKey: options.signingKey });
  if (problems.length > 0) throw new InputError(problems);
  return hive;
}
