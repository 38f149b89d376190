// The build phase of a deploy: all systems in one batched nix-build, or, with `--no build`, the
// results hive.state remembers, but only while their inputs' fingerprint matches and the path is
// still valid in the local store (state is a cache, never the truth). Says why it builds anyway.
import { checked } from '../../exec/spawn.ts';
import type { BuiltSystem } from '../../nix/build.ts';
import { checkValidityArgv } from '../../nix/argv.ts';
import { buildHostOf } from '../../plan/build-host.ts';
import { buildEverywhere } from './build-systems.ts';
import { systemFingerprint } from '../../state/fingerprint.ts';
import type { StepIO } from '../run/run-dag.ts';
import type {
  BuildCtx,
  BuiltCtx,
  LocalCtx,
  RemoteCtx,
  RunCtx,
  SayCtx,
  SessionCtx,
  StateCtx,
} from '../context.ts';

/** What the build phase reads and fills: the run, processes here and on build hosts, cache, results. */
export type BuildPhaseCtx = RunCtx & LocalCtx & SessionCtx & SayCtx & BuiltCtx & BuildCtx & StateCtx;

/** Which cached results may be reused, and why each other system must be built. */
export async function reusableBuilds(
  ctx: Pick<RunCtx, 'hive'> & LocalCtx & RemoteCtx & Pick<StateCtx, 'state'>,
  systems: string[],
  fingerprints: Map<string, string>,
): Promise<{ reuse: Map<string, BuiltSystem>; why: Map<string, string> }> {
  const reuse = new Map<string, BuiltSystem>();
  const why = new Map<string, string>();
  const candidates: Array<[string, BuiltSystem]> = [];
  for (const s of systems) {
    const cached = ctx.state?.state.systems[s];
    if (!cached) why.set(s, 'hive.state has no result for it');
    else if (cached.fingerprint !== fingerprints.get(s))
      why.set(s, 'its modules, search path or config changed since the cached build');
    else candidates.push([s, { outPath: cached.outPath, drvPath: cached.drvPath }]);
  }
  // A system with a build host is checked in that host's store, where it was built; the rest here.
  const places = new Map<string | undefined, Array<[string, BuiltSystem]>>();
  for (const c of candidates) {
    const host = buildHostOf(ctx.hive, c[0]);
    places.set(host, [...(places.get(host) ?? []), c]);
  }
  for (const [host, list] of places) {
    const argv = checkValidityArgv(list.map(([, b]) => b.outPath));
    const args = [...argv.args, '--print-invalid'];
    const r =
      host === undefined
        ? await checked(ctx.spawn, argv.command, args, { env: ctx.nixEnv })
        : await ctx.remote(host, [argv.command, ...args]);
    const invalid = new Set(r.stdout.split('\n').filter(Boolean));
    const where = host === undefined ? 'the local store' : `the store of build host ${host}`;
    for (const [s, b] of list) {
      if (r.exitCode !== 0) why.set(s, `cannot check ${b.outPath} in ${where}`);
      else if (invalid.has(b.outPath)) why.set(s, `the cached ${b.outPath} is no longer in ${where}`);
      else reuse.set(s, b);
    }
  }
  return { reuse, why };
}

/** Builds every system of the plan at once; returns the systems that failed, with Nix's message. */
export async function buildPhase(
  ctx: BuildPhaseCtx,
  systems: string[],
  io: StepIO,
): Promise<Record<string, string>> {
  const fingerprints = new Map<string, string>();
  for (const s of systems) fingerprints.set(s, await systemFingerprint(ctx.hive.systems[s]!));
  let toBuild = systems;
  if (ctx.plan.skip.build) {
    const { reuse, why } = await reusableBuilds(ctx, systems, fingerprints);
    for (const [s, b] of reuse) {
      ctx.built.set(s, b);
      io.log('stderr', `nix-hive: reusing ${s} from hive.state: ${b.outPath}`);
    }
    for (const [s, reason] of why) ctx.say(`--no build: building ${s} anyway: ${reason}`);
    toBuild = systems.filter((s) => !reuse.has(s));
  }
  if (toBuild.length === 0) return {};
  // Systems with a build host are realised there (build-host.ts); the rest here, in one batch.
  const { built, failed } = await buildEverywhere(ctx.hive, toBuild, ctx, io, { settle: false });
  for (const [name, b] of Object.entries(built)) {
    ctx.built.set(name, b);
    ctx.recorder?.recordBuild(name, b.outPath, b.drvPath, fingerprints.get(name)!);
  }
  return failed;
}
