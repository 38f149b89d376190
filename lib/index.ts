// The public API of nix-hive, importable from a hive.config.ts as `import { defineHive } from 'nix-hive'`.
export type * from './inventory/types.ts';
export { HiveError, InputError } from './errors.ts';
export { defineHive } from './inventory/define-hive.ts';
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
