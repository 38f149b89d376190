// Building on a build host (an instance named by `build.host` or `--build-host`). The deployer evaluates
// (the evaluator pool and its cache, as for a build here), copies only the derivations there
// (`nix copy --derivation --to ssh-ng://<host>`), and the build host realises them with a GC root under
// /nix/var/nix/gcroots/nix-hive, signs them with the hive key streamed on stdin (never a file there), and
// pushes them to the store hosts and to the instances without a store, so the closure never crosses the
// deployer's uplink. For the pushes the build host gets a key pair made there for the run, each destination
// a marked, expiring authorized_keys line for it (only `nix-store --serve --write`), and the build host a
// known_hosts pinning the destinations' keys from the inventory; all of it is removed after the run.
import { checked } from '../../exec/spawn.ts';
import { HostError } from '../../errors.ts';
import type { ResolvedSystem } from '../../inventory/types.ts';
import { nixMessage, type BuildOutcome } from '../../nix/build.ts';
import type { Evaluated } from '../../nix/eval-pool.ts';
import {
  copyDerivationsArgv,
  gcrootDirArgv,
  pushFromHostArgv,
  realiseOnHostArgv,
  signOnHostArgv,
  substituteArgv,
} from '../../nix/build-host-argv.ts';
import type { CopyStep, SignStep } from '../../plan/types.ts';
import { destinationName } from '../../plan/types.ts';
import {
  clearPushArgv,
  configurePushArgv,
  grantPushArgv,
  preparePushArgv,
  pushAuthorizedLine,
  pushKnownHosts,
  pushSshConfig,
  revokePushArgv,
  type PushTarget,
} from '../../ssh/build-host-access.ts';
import { SSH_DEFAULTS } from '../../ssh/config.ts';
import { buildHostOf } from '../../plan/build-host.ts';
import {
  outPathOf,
  type BuiltCtx,
  type LocalCtx,
  type RemoteCtx,
  type RunCtx,
  type SayCtx,
  type SessionCtx,
  type SignCtx,
} from '../context.ts';
import type { StepIO } from '../run/run-dag.ts';
import { undoAccess } from '../relay/revoke-access.ts';
import { lastLine } from '../../util/last-line.ts';

/**
 * Copies the derivations the deployer evaluated (the evaluator pool or its cache, nix/build.ts
 * evaluateStage) to `host` and realises them there. `systems` are those that evaluated.
 */
export async function buildOnHost(
  ctx: LocalCtx & SessionCtx,
  host: string,
  systems: ResolvedSystem[],
  evaluated: Map<string, Evaluated>,
  io: StepIO,
): Promise<BuildOutcome> {
  const outcome: BuildOutcome = { built: {}, failed: {} };
  const drvs = new Map<string, Evaluated>();
  for (const s of systems) {
    const e = evaluated.get(s.name);
    if (e) drvs.set(s.name, e);
  }
  if (drvs.size === 0) return outcome;
  const drvPaths = [...drvs.values()].map((e) => e.drvPath);
  await ctx.connect(host, io.signal);
  io.log('stderr', `nix-hive: copying ${drvs.size} derivation(s) to build host ${host}`);
  const copy = copyDerivationsArgv(`ssh-ng://${host}`, drvPaths);
  await checked(ctx.spawn, copy.command, copy.args, {
    onLine: io.log,
    signal: io.signal,
    env: { ...ctx.nixEnv, NIX_SSHOPTS: ctx.nixSshOpts },
    what: `nix copy --derivation to ${host}`,
  });
  await ctx.remote(host, gcrootDirArgv(), { root: true, signal: io.signal });
  for (const [name, e] of drvs) {
    const r = await ctx.remote(host, realiseOnHostArgv(e.drvPath, name), {
      root: true,
      signal: io.signal,
      onLine: io.log,
    });
    if (r.exitCode !== 0) outcome.failed[name] = nixMessage(r);
    else outcome.built[name] = { outPath: e.outPath, drvPath: e.drvPath };
  }
  return outcome;
}

/** An instance behind a store takes a closure built elsewhere from its own substituters (signatures checked). */
export async function substituteOnInstance(
  ctx: RemoteCtx,
  instance: string,
  outPath: string,
  io: StepIO,
): Promise<void> {
  const r = await ctx.remote(instance, substituteArgv(outPath), {
    root: true,
    signal: io.signal,
    onLine: io.log,
  });
  if (r.exitCode !== 0) throw new HostError(`${instance} could not substitute ${outPath}: ${nixMessage(r)}`);
}

/** Signs on the build host: the key goes over the open connection as stdin, never onto its disk. */
export async function signOnHost(
  ctx: RemoteCtx & SignCtx & BuiltCtx,
  step: SignStep,
  io: StepIO,
): Promise<void> {
  const host = step.on!;
  if (!ctx.signingKey) throw new HostError('signing requested but the hive has no signingKey');
  const key = await ctx.signingKey.secret();
  ctx.publicKey ??= await ctx.signingKey.publicKey();
  const r = await ctx.remote(host, signOnHostArgv(outPathOf(ctx, step.system)), {
    root: true,
    input: key,
    signal: io.signal,
    onLine: io.log,
  });
  if (r.exitCode !== 0) throw new HostError(`nix store sign on ${host} failed: ${lastLine(r.stderr)}`);
}

/** What the build hosts' pushes read of a run: its plan, the session, the built systems, a way to warn. */
export type BuildHostPushCtx = RunCtx & RemoteCtx & SayCtx & BuiltCtx;

/** The build hosts' push access of one run: set up once per build host and destination, removed at the end. */
export class BuildHostPushes {
  private readonly prepared = new Map<string, Promise<string>>();
  private readonly granted = new Map<string, Promise<void>>();
  private readonly hostsTouched = new Set<string>();
  /** Destinations holding a grant of this run → the authorized keys files the grants went to. */
  private readonly destsTouched = new Map<string, Set<string>>();

  constructor(
    private readonly ctx: BuildHostPushCtx,
    private readonly connectTimeout: number = SSH_DEFAULTS.connectTimeout,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Pushes the step's closure from its build host (`copy www builder → portico`, or a direct push). */
  async push(step: CopyStep, substitute: boolean, io: StepIO, host = step.by!): Promise<void> {
    const { ctx } = this;
    const outPath = outPathOf(ctx, step.system);
    let to: { alias: string } | { uri: string };
    if (step.to.kind === 'instance') {
      const publicKey = await this.prepare(host, io);
      await this.grant(host, step.to.name, publicKey, io);
      to = { alias: step.to.name };
    } else to = { uri: step.to.uri };
    io.log('stderr', `nix-hive: ${host} pushes ${outPath} to ${destinationName(step.to)}`);
    const r = await ctx.remote(host, pushFromHostArgv(ctx.runId, to, outPath, substitute), {
      root: true,
      signal: io.signal,
      onLine: io.log,
    });
    if (r.exitCode !== 0)
      throw new HostError(`${host} could not push to ${destinationName(step.to)}: ${lastLine(r.stderr)}`);
  }

  /** The build host's key folder and ssh_config for every destination it pushes to in this run. */
  private prepare(host: string, io: StepIO): Promise<string> {
    let p = this.prepared.get(host);
    if (!p) {
      p = (async () => {
        const { ctx } = this;
        this.hostsTouched.add(host);
        const r = await ctx.remote(host, preparePushArgv(ctx.runId), { root: true, signal: io.signal });
        if (r.exitCode !== 0) throw new HostError(`no push key on ${host}: ${lastLine(r.stderr)}`);
        const [publicKey = '', peer = ''] = r.stdout.trim().split('\n');
        // A build host named by a URI has no jump host: it reaches every destination at its address.
        const via = ctx.hive.instances[host]?.via;
        // Every destination it pushes to, and those it may push to directly (`--allow-direct`) when pinned.
        const dests = new Set<string>();
        for (const s of ctx.plan.steps) {
          if (s.kind !== 'copy' || s.to.kind !== 'instance') continue;
          if (s.by === host) dests.add(s.to.name);
          else if (
            buildHostOf(ctx.hive, s.system) === host &&
            ctx.hive.instances[s.to.name]!.hostKeys.length > 0
          )
            dests.add(s.to.name);
        }
        // The build host reaches its own jump host at the address the jump host reached it from.
        const targets: PushTarget[] = [...dests].map((d) => ({
          instance: ctx.hive.instances[d]!,
          address: d === via && peer ? peer : ctx.hive.instances[d]!.address,
        }));
        const conf = configurePushArgv(
          ctx.runId,
          pushKnownHosts(targets),
          pushSshConfig(targets, ctx.runId, this.connectTimeout),
        );
        const c = await ctx.remote(host, conf, { root: true, signal: io.signal });
        if (c.exitCode !== 0)
          throw new HostError(`cannot configure ${host} for pushes: ${lastLine(c.stderr)}`);
        return publicKey;
      })();
      this.prepared.set(host, p);
    }
    return p;
  }

  private grant(host: string, dest: string, publicKey: string, io: StepIO): Promise<void> {
    let p = this.granted.get(dest);
    if (!p) {
      p = (async () => {
        const files = new Set<string>();
        this.destsTouched.set(dest, files);
        const line = pushAuthorizedLine(publicKey, this.ctx.runId, host, this.now());
        const from = this.ctx.hive.instances[host]?.address ?? '';
        const r = await this.ctx.remote(dest, grantPushArgv(line, from), {
          root: true,
          signal: io.signal,
        });
        if (r.exitCode !== 0)
          throw new HostError(`cannot let ${host} push to ${dest}: ${lastLine(r.stderr)}`);
        files.add(lastLine(r.stdout));
      })();
      this.granted.set(dest, p);
    }
    return p;
  }

  /** Removes every grant of this run and the build hosts' key folders. */
  async cleanup(): Promise<void> {
    const { ctx } = this;
    const undo = (host: string, argv: string[], what: string) => undoAccess(ctx, host, argv, what);
    await Promise.all([
      ...[...this.destsTouched].map(([d, files]) =>
        undo(d, revokePushArgv(ctx.runId, [...files]), "the build host's push access"),
      ),
      ...[...this.hostsTouched].map((h) => undo(h, clearPushArgv(ctx.runId), 'the push key folder')),
    ]);
  }
}
