// The inventory layer's entry: load a hive.config.ts, import its inventory files, check it in three layers,
// resolve it, select targets.
export type * from './types.ts';
export { resolveHive, analyzeHive, BUILT_IN, type ResolveOptions } from './resolve/resolve.ts';
export { selectTargets } from './resolve/select.ts';
export { loadHive, findConfig, CONFIG_NAMES } from './load/loader.ts';
export { ConfigLoadError } from '../errors.ts';
export { parseStore } from './resolve/store-ref.ts';
export { mergeInstanceSources, type InstanceSource } from './load/merge-sources.ts';
export {
  fromTerraform,
  fromTerraformState,
  fromPulumi,
  fromInstances,
  type OutputOptions,
  type StateOptions,
} from './import/from-helpers.ts';
export type { TerraformResource } from './import/terraform-state.ts';
