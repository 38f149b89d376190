// The relay step of a copy: a child pulls its closure from a relay parent (an instance that already holds
// it) instead of the store host. The child makes a key pair of its own for the run (the private key never
// leaves it), the parent lets that key run `nix-store --serve` (read-only) as root until the run ends, and
// the child's Nix checks the hive key's signature on every path it takes. A relay that fails is not used
// again: its children are re-parented to their store. All access is removed after the run.
import { SSH_DEFAULTS } from '../../ssh/config.ts';
import { RelayFailure, SshError } from '../../errors.ts';
import { relayPullArgv } from '../../nix/relay-argv.ts';
import type { CopyStep } from '../../plan/types.ts';
import { destinationName } from '../../plan/types.ts';
import {
  authorizedLine,
  clearChildArgv,
  grantArgv,
  prepareChildArgv,
  relayKnownHosts,
  relaySshConfig,
  revokeArgv,
  type RelaySshOptions,
} from '../../ssh/relay-access.ts';
import { compressLeg, copyCompressMode } from '../copy/compress.ts';
import {
  outPathOf,
  type BuiltCtx,
  type CopyCtx,
  type RemoteCtx,
  type RunCtx,
  type SayCtx,
  type SignCtx,
} from '../context.ts';
import { remoteSettings } from '../copy/preflight.ts';
import { EarlyPreflights } from './relay-preflight.ts';
import type { StepIO } from '../run/run-dag.ts';
import { undoAccess } from './revoke-access.ts';
import { lastLine } from '../../util/last-line.ts';

/** What the relay reads: the run's trees, the session, the built closures, the hive key, the copies' mode. */
export type RelayCtx = RunCtx &
  RemoteCtx &
  SayCtx &
  BuiltCtx &
  Pick<SignCtx, 'publicKey'> &
  Pick<CopyCtx, 'distribution'>;

const NO_IO: StepIO = { log: () => {}, signal: new AbortController().signal };

export class RelayRun {
  /** `system>instance` of every instance known to hold a system's closure in this run. */
  private readonly holders = new Set<string>();
  /** Relays that failed to serve, and why: their other children go to the store at once. */
  private readonly broken = new Map<string, string>();
  /** Parents holding a grant of this run → the authorized keys files the grants went to. */
  private readonly granted = new Map<string, Set<string>>();
  private readonly prepared = new Set<string>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly preparing = new Map<string, Promise<void>>();
  private readonly warmed = new Set<string>();
  /** `system>store` of every tree's root. */
  private readonly stores: Set<string>;
  private readonly clearing: Array<Promise<void>> = [];
  private early: EarlyPreflights | undefined;

  constructor(
    private readonly ctx: RelayCtx,
    private readonly ssh: RelaySshOptions,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.stores = new Set((ctx.plan.relay?.trees ?? []).map((t) => `${t.system}>${t.store}`));
  }

  /** The run is starting: the store's children will run their preflight as soon as the store holds it. */
  start(signal: AbortSignal): void {
    this.early = new EarlyPreflights(this.ctx, signal);
  }

  /** The preflight of a store's child that ran while it waited for its turn (see relay-preflight.ts). */
  earlyPreflight(step: CopyStep, io: StepIO): ReturnType<EarlyPreflights['take']> {
    return this.early?.take(step, io) ?? Promise.resolve(undefined);
  }

  /** A line of the deployer's push of `step`: once a tree's store is being sent paths, warm up. */
  storeCopyLine(step: CopyStep, line: string): void {
    if (this.stores.has(`${step.system}>${destinationName(step.to)}`) && /^copying \d+ paths/.test(line))
      this.warm(step.system);
  }

  /** The instance holds the system's closure now (copied, or it had it). */
  holds(system: string, instance: string): void {
    this.holders.add(`${system}>${instance}`);
    // A store's children run their preflight early only when the relay is used (not for a pushed change).
    const mode = this.ctx.distribution?.modeBehind(system, instance);
    if (!mode) this.early?.holds(system, instance);
    else void mode.then((m) => m === 'relay' && this.early?.holds(system, instance)).catch(() => {});
    if (this.stores.has(`${system}>${instance}`)) this.warm(system);
  }

  /** One authorized_keys edit at a time per host. */
  private serial<T>(host: string, fn: () => Promise<T>): Promise<T> {
    const p = (this.queues.get(host) ?? Promise.resolve()).then(fn, fn);
    this.queues.set(
      host,
      p.catch(() => {}),
    );
    return p;
  }

  /**
   * Gets every relayed child of the system's trees ready (its ssh connection, its key pair, its line on
   * its relay), so that a child only has to pull once its relay holds the closure. Called once the push to
   * a tree's store moves bytes (`storeCopyLine`: its start-up is the deployer's and nothing else waits for
   * its bytes to cross the uplink), or when the store holds the closure, whichever comes first.
   */
  private warm(system: string): void {
    if (this.warmed.has(system)) return;
    this.warmed.add(system);
    const outPath = outPathOf(this.ctx, system);
    for (const tree of this.ctx.plan.relay?.trees ?? []) {
      if (tree.system !== system) continue;
      // Only once the tree is to be used: a small change is pushed from here instead (distribution.ts).
      const mode = this.ctx.distribution?.modeBehind(system, tree.store) ?? Promise.resolve('relay');
      void mode
        .then((m) => {
          if (m !== 'relay') return;
          for (const f of tree.feeds) {
            if (f.parent === tree.store) continue;
            for (const c of f.children) this.prepare(c, f.parent, outPath).catch(() => {});
          }
        })
        .catch(() => {});
    }
  }

  /** Key pair on the child, grant on the parent; once per child. Rejects with [why, parent at fault]. */
  private prepare(child: string, parent: string, outPath: string): Promise<void> {
    let p = this.preparing.get(child);
    if (!p) this.preparing.set(child, (p = this.doPrepare(child, parent, outPath)));
    return p;
  }

  private async doPrepare(child: string, parent: string, outPath: string): Promise<void> {
    const { ctx } = this;
    const parentInst = ctx.hive.instances[parent]!;
    // One remote command: nothing when the child has the closure already, else its key pair. Whether it
    // trusts the hive key is asked only if a pull is refused (see pull): the happy path stays cheap.
    this.prepared.add(child);
    const sshConfig = relaySshConfig(parentInst, ctx.runId, this.ssh);
    const prep = await ctx.remote(
      child,
      prepareChildArgv(ctx.runId, relayKnownHosts(parentInst), sshConfig, outPath),
      { root: true },
    );
    if (prep.exitCode !== 0)
      throw new RelayFailure(`no relay key on ${child}: ${lastLine(prep.stderr)}`, false);
    if (prep.stdout.trim() === 'has') {
      this.prepared.delete(child);
      return;
    }
    const line = authorizedLine(prep.stdout.trim(), ctx.runId, child, this.now());
    const files = this.granted.get(parent) ?? new Set<string>();
    this.granted.set(parent, files);
    const from = ctx.hive.instances[child]!.address;
    let grant;
    try {
      grant = await this.serial(parent, () => ctx.remote(parent, grantArgv(line, from), { root: true }));
    } catch (e) {
      throw new RelayFailure(e instanceof Error ? e.message : String(e), e instanceof SshError);
    }
    if (grant.exitCode !== 0)
      throw new RelayFailure(`granting access on ${parent} failed: ${lastLine(grant.stderr)}`, true);
    files.add(lastLine(grant.stdout));
  }

  /**
   * Pulls the closure from the step's relay parent. Resolves true when the child has it; false when the
   * child must take it from its store instead (the reason is logged and said). Throws only when the
   * child itself cannot be reached.
   */
  async pull(step: CopyStep, outPath: string, io: StepIO): Promise<boolean> {
    const { ctx } = this;
    if (!step.relay || step.to.kind !== 'instance') return false;
    const child = step.to.name;
    const parent = step.relay.parent;
    const store = step.from ? destinationName(step.from) : 'its store';
    const fallBack = (why: string, blameParent: boolean) => {
      if (blameParent && !this.broken.has(parent)) this.broken.set(parent, why);
      io.log('stderr', `nix-hive: relay ${parent} → ${child}: ${why}; substituting from ${store} instead`);
      ctx.say(
        `relay ${parent} failed for ${child}: ${why}; ${child} substitutes from ${store} instead`,
        'warn',
      );
      return false;
    };
    if (this.broken.has(parent)) return fallBack(`it failed earlier (${this.broken.get(parent)})`, false);
    if (!this.holders.has(`${step.system}>${parent}`))
      return fallBack('it does not hold the closure (its own copy did not succeed)', true);
    try {
      try {
        await this.prepare(child, parent, outPath);
      } catch (e) {
        if (e instanceof RelayFailure) return fallBack(e.message, e.parentAtFault);
        throw e;
      }
      io.log(
        'stderr',
        `nix-hive: ${child} pulls ${outPath} from relay ${parent} (read-only, signatures required)`,
      );
      const lines: string[] = [];
      const compress = compressLeg(copyCompressMode(ctx.hive, step), 'internal');
      const r = await ctx.remote(child, relayPullArgv(ctx.runId, outPath, compress), {
        signal: io.signal,
        root: true,
        onLine: (stream, l) => {
          lines.push(l);
          io.log(stream, l);
        },
      });
      if (r.exitCode === 0) return true;
      const why =
        lines.filter((l) => /error|refus|lacks|not signed|ssh/i.test(l)).pop() ?? lastLine(r.stderr);
      // A child that does not trust the hive key refuses every path: not the relay's fault.
      if (/lacks a valid signature|not signed/i.test(why) && !(await this.trusts(child)))
        return fallBack(`${child} does not trust the hive key`, false);
      // Whatever broke the pull (the relay died, served a path its child refused, …), the safe side is not
      // to use this relay again in the run: its other children take the store's way at once.
      return fallBack(`the pull failed: ${why || `exit ${r.exitCode}`}`, true);
    } finally {
      // The child's key folder goes at once, but off the copy's path: its own children start meanwhile.
      // cleanup() waits for it and removes whatever it could not.
      if (this.prepared.has(child)) this.clearing.push(this.clear(child));
    }
  }

  /** Does the child trust the hive key (its trusted-public-keys)? Unknown counts as yes. */
  private async trusts(child: string): Promise<boolean> {
    if (!this.ctx.publicKey) return true;
    const settings = await remoteSettings(this.ctx, child, NO_IO).catch(() => undefined);
    return settings === undefined || settings.trustedKeys.includes(this.ctx.publicKey);
  }

  private async clear(child: string): Promise<void> {
    const done = await this.ctx
      .remote(child, clearChildArgv(this.ctx.runId), { root: true, timeoutMs: 30_000 })
      .catch(() => undefined);
    if (done?.exitCode === 0) this.prepared.delete(child);
  }

  /** Removes every grant of this run from the parents and every leftover key folder from the children. */
  async cleanup(): Promise<void> {
    const { ctx } = this;
    // Grants still being made must land before they are removed; clears under way end first.
    await Promise.allSettled([...this.preparing.values(), ...this.clearing]);
    const undo = (host: string, argv: string[], what: string) => undoAccess(ctx, host, argv, what);
    await Promise.all([
      ...[...this.granted].map(([p, files]) =>
        this.serial(p, () =>
          undo(p, revokeArgv(ctx.runId, [...files]), 'the relay access (authorized_keys)'),
        ),
      ),
      ...[...this.prepared].map((c) => undo(c, clearChildArgv(ctx.runId), 'the relay key folder')),
    ]);
  }
}

/** The run's relay state, with the child's ssh timeouts taken from the deploy's own. */
export function relayRun(
  ctx: RelayCtx,
  ssh: { connectTimeout?: number; serverAlive?: RelaySshOptions['serverAlive'] } = {},
): RelayRun {
  return new RelayRun(ctx, {
    connectTimeout: ssh.connectTimeout ?? SSH_DEFAULTS.connectTimeout,
    serverAlive: ssh.serverAlive ?? SSH_DEFAULTS.serverAlive,
  });
}
