// Keys for users the new system creates: a pre-activation key whose owner or group does not exist yet is
// written `root:root` with its mode (staged) by the keys step, recorded here, and after the activation
// this step gives it its owner (one remote command per instance, over its ssh connection). A key still
// without its owner then (the activation did not create the user) fails the post-activation step.
import { HostError } from '../../errors.ts';
import { keyOwnersArgv, keyOwnersInput, parseOwnersOutput } from '../../host/key-owners-script.ts';
import type { KeysStep } from '../../plan/types.ts';
import type { KeysCtx, RemoteCtx } from '../context.ts';
import type { StepIO } from '../run/run-dag.ts';

export interface StagedKey {
  name: string;
  path: string;
  user: string;
  group: string;
}

/** Staged keys of this run, per instance, from the pre-activation step to the post-activation one. */
export class StagedKeys {
  private readonly byInstance = new Map<string, StagedKey[]>();

  add(instance: string, key: StagedKey): void {
    this.byInstance.set(instance, [...(this.byInstance.get(instance) ?? []), key]);
  }

  /** The staged keys of `instance` that `step` owns, removed from the record. */
  take(instance: string, step: KeysStep): StagedKey[] {
    const names = new Set((step.owners ?? []).map((k) => k.name));
    const all = this.byInstance.get(instance) ?? [];
    this.byInstance.set(
      instance,
      all.filter((k) => !names.has(k.name)),
    );
    return all.filter((k) => names.has(k.name));
  }
}

export async function setStagedOwners(ctx: RemoteCtx & KeysCtx, step: KeysStep, io: StepIO): Promise<void> {
  const staged = ctx.stagedKeys.take(step.instance, step);
  if (staged.length === 0) return;
  const input = keyOwnersInput(staged.map((k) => ({ user: k.user, group: k.group, dest: k.path })));
  const r = await ctx.remote(step.instance, keyOwnersArgv(), { input, signal: io.signal, root: true });
  const outcomes = parseOwnersOutput(r.stdout);
  for (const k of staged) {
    const o = outcomes.find((x) => x.dest === k.path);
    io.log(
      'stdout',
      `key ${k.name} → ${k.path}: ${o?.owned ? `owner ${k.user}:${k.group}` : `still root:root (${o?.reason ?? 'no answer'})`}`,
    );
  }
  const failed = staged.find((k) => !outcomes.find((x) => x.dest === k.path)?.owned);
  if (r.exitCode !== 0 || failed) {
    const k = failed ?? staged[0]!;
    throw new HostError(
      `key ${k.name} → ${k.path}: owner ${k.user}:${k.group} still missing after the activation; the key stays root:root`,
    );
  }
}
