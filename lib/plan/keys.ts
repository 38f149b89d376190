// Planning key uploads (pure): per targeted instance with keys, a `keys:<instance>` step for its
// pre-activation keys, which its copy and activation wait for (a failing source stops the instance with its
// old system active; the example's substituter key must be there before the instance substitutes), and a
// `keys:<instance>:post` step for its post-activation keys, after its activation. `--no keys` and the goal
// dry-activate plan none.
// Before an activation that changes the running system, a pre-activation key owned by a user or group
// other than root may be staged `root:root` (its user may be one the new system creates); the post step
// then sets its owner (planned for that alone when the instance has no post-activation keys).
import { changesRunningSystem, isPreview } from '../nix/goal.ts';
import type { ResolvedHive, ResolvedKey } from '../inventory/types.ts';
import type { KeysStep, PlanOptions, Step } from './types.ts';

export const keysStepId = (instance: string, uploadAt: KeysStep['uploadAt']) =>
  uploadAt === 'pre-activation' ? `keys:${instance}` : `keys:${instance}:post`;

/**
 * The plan's steps with key uploads woven in: pre steps first (they depend on nothing), the copies and
 * activations of their instances made to wait for them, post steps last.
 */
export function withKeySteps(
  hive: ResolvedHive,
  targets: string[],
  options: PlanOptions,
  steps: Step[],
): Step[] {
  // A preview changes nothing on the host, its keys included.
  if (options.skip.keys || isPreview(options.goal)) return steps;
  const pre: KeysStep[] = [];
  const post: KeysStep[] = [];
  const preOf = new Map<string, string>();
  // Where each instance's closure is final: its activation, else its own system's copy to it.
  const lastOf = new Map<string, string>();
  for (const s of steps)
    if (s.kind === 'copy' && s.to.kind === 'instance' && hive.instances[s.to.name]?.system === s.system)
      lastOf.set(s.to.name, lastOf.get(s.to.name) ?? s.id);
  const activates = new Set<string>();
  for (const s of steps) if (s.kind === 'activate') lastOf.set(s.instance, s.id);
  for (const s of steps) if (s.kind === 'activate' && changesRunningSystem(s.goal)) activates.add(s.instance);
  for (const t of targets) {
    const inst = hive.instances[t]!;
    const all = Object.values(inst.keys);
    const names = (keys: ResolvedKey[]) => keys.map((k) => ({ name: k.name, path: k.path }));
    const step = (uploadAt: KeysStep['uploadAt'], keys: ResolvedKey[], deps: string[]): KeysStep => ({
      id: keysStepId(t, uploadAt),
      kind: 'keys',
      instance: t,
      system: inst.system,
      uploadAt,
      keys: names(keys),
      deps,
    });
    const early = all.filter((k) => k.uploadAt === 'pre-activation');
    const late = all.filter((k) => k.uploadAt === 'post-activation');
    const owned = activates.has(t) ? early.filter((k) => k.user !== 'root' || k.group !== 'root') : [];
    if (early.length > 0) {
      pre.push({ ...step('pre-activation', early, []), ...(owned.length ? { stageOwners: true } : {}) });
      preOf.set(t, keysStepId(t, 'pre-activation'));
    }
    if (late.length > 0 || owned.length > 0) {
      const after = lastOf.get(t);
      post.push({
        ...step('post-activation', late, after ? [after] : []),
        ...(owned.length ? { owners: names(owned) } : {}),
      });
    }
  }
  if (pre.length === 0 && post.length === 0) return steps;
  const woven = steps.map((s) => {
    const own =
      s.kind === 'activate'
        ? preOf.get(s.instance)
        : s.kind === 'copy' && s.to.kind === 'instance' && hive.instances[s.to.name]?.system === s.system
          ? preOf.get(s.to.name)
          : undefined;
    return own ? { ...s, deps: [...s.deps, own] } : s;
  });
  return [...pre, ...woven, ...post];
}
