// `upload-keys`: re-sends the keys of the selected instances without a deploy (e.g. after a reboot emptied
// /run/keys): a plan of keys steps only, pre- and post-activation alike, run by the deploy runner over
// one ssh connection per host. hive.state is neither read nor written.
import type { ResolvedHive } from '../inventory/types.ts';
import { withKeySteps } from '../plan/keys.ts';
import type { Plan } from '../plan/types.ts';
import type { DeployReport } from '../progress/events.ts';
import { deploy, type DeployOptions } from '../deploy/deploy.ts';

export type UploadKeysOptions = Omit<
  DeployOptions,
  'goal' | 'skip' | 'allowDirect' | 'storeFanout' | 'plan' | 'state'
>;

/** The keys-only plan: one step per instance and upload time, no dependencies between them. */
export function planKeyUpload(hive: ResolvedHive, targets: string[]): Plan {
  const withKeys = targets.filter((t) => Object.keys(hive.instances[t]?.keys ?? {}).length > 0);
  const skip = { build: true, copy: true, activate: true };
  return {
    goal: 'switch',
    targets: withKeys,
    systems: [],
    skip,
    steps: withKeySteps(hive, withKeys, { goal: 'switch', skip }, []),
  };
}

export function uploadKeysOnly(
  hive: ResolvedHive,
  targets: string[],
  options: UploadKeysOptions,
): Promise<DeployReport> {
  const plan = planKeyUpload(hive, targets);
  return deploy(hive, plan.targets, {
    ...options,
    goal: plan.goal,
    skip: plan.skip,
    allowDirect: false,
    storeFanout: 1,
    plan,
  });
}
