// The deploy's side of plan/distribution.ts: for a group (a system behind a store) that the plan left `by-size`,
// measures the new bytes once the system is built, and decides push, star or relay with the plan's own rule.
// New bytes: the closure's paths (the deployer's store) that a sample instance of the group lacks (one
// `nix-store --check-validity --print-invalid` over its own deploy connection, which it needs anyway). The
// decision is said once per group; the copies, the relay and the limits ask it before they act.
import { checked } from '../../exec/spawn.ts';
import { SshError } from '../../errors.ts';
import { invalidPathsArgv, pathSizesArgv, requisitesArgv } from '../../nix/argv.ts';
import {
  chooseDistribution,
  formatBytes,
  groupKey,
  groupOf,
  type Distribution,
} from '../../plan/distribution.ts';
import type { CopyStep } from '../../plan/types.ts';
import {
  outPathOf,
  type BuiltCtx,
  type LocalCtx,
  type RemoteCtx,
  type RunCtx,
  type SayCtx,
  type SessionCtx,
} from '../context.ts';

export type Mode = 'push' | 'star' | 'relay';

/** What deciding reads of a run: the plan's groups, the built closures, processes here and the session. */
export type DistributionCtx = Pick<RunCtx, 'plan'> & LocalCtx & SessionCtx & SayCtx & BuiltCtx;

export class DistributionRun {
  private readonly groups = new Map<string, Distribution>();
  /** The instances of each group, in plan order; the first is the one asked what it lacks. */
  private readonly members = new Map<string, string[]>();
  private readonly decided = new Map<string, Mode>();
  private readonly deciding = new Map<string, Promise<Mode>>();

  constructor(
    private readonly ctx: DistributionCtx,
    private readonly parallel = 10,
  ) {
    for (const d of ctx.plan.distribution ?? []) this.groups.set(groupKey(d.system, d.store), d);
    for (const s of ctx.plan.steps) {
      if (s.kind !== 'copy') continue;
      const key = groupOf(s);
      if (key === undefined) continue;
      const list = this.members.get(key) ?? [];
      if (list.length === 0) this.members.set(key, list);
      list.push((s.to as { name: string }).name);
    }
  }

  /** Is `instance` the store of a group of `system` (its copy starts the decision)? */
  isStore(system: string, instance: string): boolean {
    return this.groups.has(groupKey(system, instance));
  }

  /** The mode of a copy's group, deciding it when the plan left it to the size; undefined: not in a group. */
  modeOf(step: CopyStep, signal?: AbortSignal): Promise<Mode> | undefined {
    if (step.push) return Promise.resolve('push');
    const key = groupOf(step);
    return key === undefined ? undefined : this.decide(key, step.system, signal);
  }

  /** The mode of the group of `system` behind `store` (deciding it if need be). */
  modeBehind(system: string, store: string, signal?: AbortSignal): Promise<Mode> | undefined {
    const key = groupKey(system, store);
    return this.groups.has(key) ? this.decide(key, system, signal) : undefined;
  }

  /** Known now: the copy is pushed from here (for labels and limits, which cannot wait). */
  pushedNow(step: CopyStep): boolean {
    if (step.push) return true;
    const key = groupOf(step);
    return key !== undefined && this.decided.get(key) === 'push';
  }

  private decide(key: string, system: string, signal?: AbortSignal): Promise<Mode> {
    const d = this.groups.get(key);
    if (!d) return Promise.resolve('star');
    if (d.mode !== 'by-size') return Promise.resolve(d.mode);
    let p = this.deciding.get(key);
    if (!p) {
      p = this.measure(key, system, d, signal).then((mode) => {
        this.decided.set(key, mode);
        return mode;
      });
      this.deciding.set(key, p);
    }
    return p;
  }

  private async measure(key: string, system: string, d: Distribution, signal?: AbortSignal): Promise<Mode> {
    const { ctx } = this;
    const sample = this.members.get(key)![0]!;
    let newBytes: number | undefined;
    let unknown = '';
    try {
      newBytes = await lackedBytes(ctx, sample, outPathOf(ctx, system), signal);
    } catch (err) {
      if (!(err instanceof SshError) && !(err instanceof Error)) throw err;
      unknown = ` (${sample} could not say what it lacks: ${err.message.split('\n')[0]})`;
    }
    const c =
      newBytes === undefined
        ? { mode: d.otherwise, why: `new bytes unknown${unknown}` }
        : chooseDistribution({
            newBytes,
            instances: d.instances,
            otherwise: d.otherwise,
            pushMax: d.pushMax,
          });
    ctx.say(
      `distribution ${system} behind ${d.store} (${d.instances}): ${c.mode}: ${c.why}` +
        (newBytes === undefined ? '' : ` [${formatBytes(newBytes)} new, asked ${sample}]`),
    );
    if (c.mode === 'push') this.connectAll(key, signal);
    return c.mode as Mode;
  }

  /**
   * Pushed: every instance of the group will need its own connection, so they are opened now, `parallel` at a
   * time, while the store's copies run (each copy would otherwise open its own first). A failure is the copy's.
   */
  private connectAll(key: string, signal?: AbortSignal): void {
    const queue = [...this.members.get(key)!];
    const worker = async () => {
      for (let name = queue.shift(); name !== undefined && !signal?.aborted; name = queue.shift())
        await this.ctx.connect(name, signal).catch(() => {});
    };
    for (let i = 0; i < Math.min(this.parallel, queue.length); i++) void worker();
  }
}

/** NAR bytes of the closure of `outPath` that `instance`'s store lacks. */
async function lackedBytes(
  ctx: LocalCtx & RemoteCtx,
  instance: string,
  outPath: string,
  signal?: AbortSignal,
): Promise<number> {
  const env = ctx.nixEnv;
  const req = requisitesArgv(outPath);
  const paths = (
    await checked(ctx.spawn, req.command, req.args, { env, signal, what: 'nix-store -qR' })
  ).stdout
    .split('\n')
    .filter(Boolean);
  const r = await ctx.remote(instance, invalidPathsArgv(paths), { signal, root: false });
  if (r.exitCode !== 0) throw new Error(`nix-store --check-validity: exit ${r.exitCode}`);
  const lacked = r.stdout.split('\n').filter(Boolean);
  if (lacked.length === 0) return 0;
  const sz = pathSizesArgv(lacked);
  const sizes = (await checked(ctx.spawn, sz.command, sz.args, { env, signal, what: 'nix-store -q --size' }))
    .stdout;
  return sizes
    .split('\n')
    .filter(Boolean)
    .reduce((a, l) => a + Number(l.trim()), 0);
}
