// The systems of `nix-hive build`, built where the hive says. All are evaluated here by one evaluator pool,
// through the evaluation cache (nix/build.ts evaluateStage); those without a build host are realised here in
// one batch, those with one (an instance, or an ssh-ng:// URI) are realised there with a GC root
// (`buildOnHost`, over one ssh session opened for this and closed at the end). Nothing is signed or pushed:
// that is `deploy`'s job. A host that cannot be reached fails its systems, not the rest.
import type { Spawner } from '../../exec/spawn.ts';
import { HiveError } from '../../errors.ts';
import type { ResolvedHive, ResolvedSystem } from '../../inventory/types.ts';
import { evaluateStage, realiseHere, type BuildOutcome } from '../../nix/build.ts';
import { buildHostOf } from '../../plan/build-host.ts';
import type { SshSessionOptions } from '../../ssh/session.ts';
import { buildOnHost } from './build-host.ts';
import type { BuildCtx, LocalCtx, SessionCtx } from '../context.ts';
import { evalCache } from './eval-cache.ts';
import type { StepIO } from '../run/run-dag.ts';
import { sshTransport } from '../run/transport.ts';

export interface BuildWhereOptions {
  spawn: Spawner;
  gcrootDir: string;
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
  signal: AbortSignal;
  env?: Record<string, string | undefined>;
  ssh?: Omit<SshSessionOptions, 'spawn'>;
  evaluation?: EvalChoice;
}

/** How systems are evaluated (`--eval-jobs`, `--eval-max-memory`, `--no-eval-cache`). */
export interface EvalChoice {
  jobs?: number;
  maxMemoryMiB?: number;
  /** Reuse derivations whose inputs did not change (deploy/build/eval-cache.ts). */
  useCache: boolean;
}

/** Where each system is built: its build host's name, or undefined for here. */
export function buildPlaces(hive: ResolvedHive, names: string[]): Map<string | undefined, ResolvedSystem[]> {
  const out = new Map<string | undefined, ResolvedSystem[]>();
  for (const n of names) {
    const host = buildHostOf(hive, n);
    out.set(host, [...(out.get(host) ?? []), hive.systems[n]!]);
  }
  return out;
}

/** What building needs: the spawner and Nix environment, the ssh session (build hosts), the settings. */
export type BuildWhereCtx = LocalCtx & SessionCtx & BuildCtx;

/**
 * Evaluates `names` here (pool and cache), then realises them where the hive says: those without a build
 * host in one batch here, the others on their build host. `settle`: a build host that cannot be reached fails its systems (the rest go on) instead of
 * throwing.
 */
export async function buildEverywhere(
  hive: ResolvedHive,
  names: string[],
  ctx: BuildWhereCtx,
  io: StepIO,
  o: { settle: boolean },
): Promise<BuildOutcome> {
  const places = buildPlaces(hive, names);
  const options = {
    spawn: ctx.spawn,
    gcrootDir: ctx.gcrootDir,
    onLine: io.log,
    signal: io.signal,
    env: ctx.nixEnv,
    eval: {
      jobs: ctx.evaluation.jobs,
      maxMemoryMiB: ctx.evaluation.maxMemoryMiB,
      cache: ctx.evaluation.useCache ? evalCache(hive, { spawn: ctx.spawn, env: ctx.nixEnv }) : undefined,
    },
  };
  // Every system is evaluated here, in one pool (or taken from the cache), wherever it is then realised.
  const all = names.map((n) => hive.systems[n]!);
  const { evaluated, failed } = await evaluateStage(all, options);
  const outcome: BuildOutcome = { built: {}, failed };
  const here = (places.get(undefined) ?? []).filter((s) => evaluated.has(s.name));
  places.delete(undefined);
  await realiseHere(here, evaluated, options, outcome);
  for (const [host, systems] of places) {
    const ok = systems.filter((s) => evaluated.has(s.name));
    if (ok.length === 0) continue;
    try {
      const there = await buildOnHost(ctx, host!, ok, evaluated, io);
      Object.assign(outcome.built, there.built);
      Object.assign(outcome.failed, there.failed);
    } catch (e) {
      if (!o.settle) throw e;
      io.signal.throwIfAborted();
      const why =
        e instanceof HiveError && e.hint
          ? `${e.message} (hint: ${e.hint})`
          : String((e as Error)?.message ?? e);
      for (const s of ok) outcome.failed[s.name] = why;
    }
  }
  return outcome;
}

/** `nix-hive build`: as buildEverywhere, over an ssh session of its own when a system has a build host. */
export async function buildSystemsWhere(
  hive: ResolvedHive,
  names: string[],
  o: BuildWhereOptions,
): Promise<BuildOutcome> {
  const io: StepIO = {
    signal: o.signal,
    log: (stream, line) => o.onLine(stream, line),
  };
  const elsewhere = [...buildPlaces(hive, names)].filter(([host]) => host !== undefined);
  for (const [host, systems] of elsewhere)
    o.onLine('stderr', `nix-hive: building ${systems.map((s) => s.name).join(', ')} on ${host}`);
  const transport = elsewhere.length > 0 ? await sshTransport(hive, o.spawn, o.ssh) : undefined;
  const unused = () => {
    throw new Error('no ssh session: every system builds here');
  };
  const ctx: BuildWhereCtx = {
    spawn: o.spawn,
    nixEnv: o.env ?? {},
    connect: transport?.connect ?? unused,
    nixSshOpts: transport?.nixSshOpts ?? '',
    remote: transport?.remote ?? unused,
    gcrootDir: o.gcrootDir,
    evaluation: o.evaluation ?? { useCache: true },
  };
  try {
    return await buildEverywhere(hive, names, ctx, io, { settle: true });
  } finally {
    await transport?.close();
  }
}
