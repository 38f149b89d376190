// The public API of nix-hive, importable from a hive.config.ts as `import { defineHive } from 'nix-hive'`.
import type { HiveConfig } from './inventory/types.ts';

export type * from './inventory/types.ts';
export { HiveError, InputError } from './errors.ts';
export { loadHive, resolveHive, selectTargets } from './inventory/index.ts';
export {
  fromTerraform,
  fromTerraformState,
  fromPulumi,
  fromInstances,
  type TerraformResource,
} from './inventory/index.ts';
export { planDeploy } from './plan/plan.ts';
export { deploy, type DeployOptions } from './deploy/deploy.ts';
export type { DeployReport, HiveEvent } from './progress/events.ts';

/**
 * `defineHive()`: the identity function that gives a hive.config.ts editor completion and type errors
 * (a typo such as `adress` is flagged by the editor, before ajv flags it at run time).
 */
export function defineHive(hive: HiveConfig): HiveConfig {
  return hive;
}
