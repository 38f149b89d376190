// The copy step: puts a system's closure into a destination store. An instance that already has it is
// left alone; an instance behind a store first passes the substituter preflight, then substitutes from
// its store (`nix copy --substitute-on-destination`), so only what the store lacks crosses the uplink.
import { checked } from '../../exec/spawn.ts';
import { HostError } from '../../errors.ts';
import { copyArgv, hasPathArgv, instanceStoreUri } from '../../nix/argv.ts';
import { compressCopy } from './compress.ts';
import type { CopyStep, Destination } from '../../plan/types.ts';
import { destinationName } from '../../plan/types.ts';
import { stateSaysReceived } from '../../state/record.ts';
import {
  outPathOf,
  type BuiltCtx,
  type CopyCtx,
  type LocalCtx,
  type RunCtx,
  type SayCtx,
  type SessionCtx,
  type SignCtx,
  type StateCtx,
} from '../context.ts';
import { preflight } from './preflight.ts';
import { checkPushTrust } from './push-trust.ts';
import { buildHostOf } from '../../plan/build-host.ts';
import { substituteOnInstance } from '../build/build-host.ts';
import type { StepIO } from '../run/run-dag.ts';

/** What a copy reads: the run, processes here and the session, the built closure, the hive key, the cache. */
export type CopyStageCtx = RunCtx &
  LocalCtx &
  SessionCtx &
  SayCtx &
  BuiltCtx &
  Pick<SignCtx, 'publicKey'> &
  Pick<StateCtx, 'state'> &
  CopyCtx;

function storeUri(d: Destination): string {
  return d.kind === 'instance' ? instanceStoreUri(d.name) : d.uri;
}

/** `nix copy` from here over the destination's own deploy connection, without its substituters. */
async function pushFromHere(
  ctx: Pick<RunCtx, 'hive'> & LocalCtx & SessionCtx & Pick<CopyCtx, 'relay'>,
  step: CopyStep,
  outPath: string,
  io: StepIO,
): Promise<void> {
  const to = destinationName(step.to);
  if (step.to.kind === 'instance') await ctx.connect(step.to.name, io.signal);
  io.log('stderr', `nix-hive: pushing ${outPath} from here over ${to}'s connection (a small change)`);
  const argv = copyArgv(storeUri(step.to), outPath, false, compressCopy(ctx.hive, step));
  await checked(ctx.spawn, argv.command, argv.args, {
    onLine: io.log,
    signal: io.signal,
    env: { ...ctx.nixEnv, NIX_SSHOPTS: ctx.nixSshOpts },
    what: `nix copy to ${to}`,
  });
  ctx.relay?.holds(step.system, to);
}

export async function copy(ctx: CopyStageCtx, step: CopyStep, io: StepIO): Promise<void> {
  const outPath = outPathOf(ctx, step.system);
  if (ctx.plan.skip.copy) {
    if (step.to.kind === 'instance' && stateSaysReceived(ctx.state, step.to.name, outPath)) {
      io.log('stderr', `nix-hive: hive.state says ${step.to.name} has ${outPath}; not copying (--no copy)`);
      return ctx.relay?.holds(step.system, step.to.name);
    }
    ctx.say(
      `--no copy: copying to ${destinationName(step.to)} anyway: hive.state does not say it has ${step.system}`,
    );
  }
  // A store's copy starts deciding how its dependents get the closure (push, star, relay: distribution.ts).
  if (step.to.kind === 'instance')
    void ctx.distribution?.modeBehind(step.system, step.to.name, io.signal)?.catch(() => {});
  // A small change: pushed from here over the instance's own connection (nix copy asks what it lacks).
  if ((await ctx.distribution?.modeOf(step, io.signal)) === 'push')
    return pushFromHere(ctx, step, outPath, io);
  // The host's own store is the truth: a closure it already has needs no preflight and no copy.
  if (step.to.kind === 'instance') {
    const has = await ctx.remote(step.to.name, hasPathArgv(outPath), { signal: io.signal });
    if (has.exitCode === 0) {
      io.log('stderr', `nix-hive: ${step.to.name} already has ${outPath}`);
      ctx.relay?.holds(step.system, step.to.name);
      return;
    }
  }
  // A relayed copy pulls from an instance that holds the closure; when that fails it goes on as the star.
  if (step.relay && (await ctx.relay?.pull(step, outPath, io)))
    return ctx.relay?.holds(step.system, destinationName(step.to));
  // An instance substitutes what its own substituters hold, unless it is pushed to directly.
  let substitute = step.to.kind === 'instance';
  if (step.to.kind === 'instance' && step.from) {
    const wired =
      (await ctx.relay?.earlyPreflight(step, io)) ??
      (await preflight(ctx, step.to.name, step.from, outPath, io));
    if (!wired.ok) {
      if (!ctx.allowDirect) {
        throw new HostError(
          `${step.to.name} is not wired to substitute from ${destinationName(step.from)}: ${wired.why}`,
          {
            hint: `add the store to its nix.conf substituters (and the hive key to trusted-public-keys), or pass --allow-direct to push from here`,
          },
        );
      }
      io.log('stderr', `nix-hive: ${wired.why}; pushing directly (--allow-direct)`);
      ctx.directCopies.add(step.id);
      // Not through its substituters: a dead store would make the remote side of the copy fail.
      substitute = false;
    }
  }
  // Pushed to as a user other than root: will its Nix take the paths? Asked before anything is sent.
  if (step.to.kind === 'instance' && (!step.from || !substitute)) await checkPushTrust(ctx, step.to.name, io);
  // Built elsewhere: the build host pushes it, and an instance behind a store takes it from its own
  // substituters (`nix-store --realise` there), so the closure never crosses the deployer's uplink.
  if (step.by && ctx.buildHost) {
    await ctx.buildHost.push(step, substitute, io);
    return ctx.relay?.holds(step.system, destinationName(step.to));
  }
  const builtOn = buildHostOf(ctx.hive, step.system);
  if (builtOn !== undefined && step.to.kind === 'instance') {
    if (substitute) await substituteOnInstance(ctx, step.to.name, outPath, io);
    else await ctx.buildHost!.push(step, false, io, builtOn);
    return ctx.relay?.holds(step.system, step.to.name);
  }
  if (step.to.kind === 'instance') await ctx.connect(step.to.name, io.signal);
  const argv = copyArgv(storeUri(step.to), outPath, substitute, compressCopy(ctx.hive, step));
  // Nix on the destination refuses a substitute signed by no key it trusts, then takes the path from here.
  let refused = 0;
  await checked(ctx.spawn, argv.command, argv.args, {
    onLine: (stream, line) => {
      if (/^warning: the substitute for .* is not signed by any of the keys in/.test(line)) refused++;
      ctx.relay?.storeCopyLine(step, line);
      io.log(stream, line);
    },
    signal: io.signal,
    env: { ...ctx.nixEnv, NIX_SSHOPTS: ctx.nixSshOpts },
    what: `nix copy to ${destinationName(step.to)}`,
  });
  if (refused > 0) {
    ctx.say(
      `${destinationName(step.to)} refused ${refused} path(s) from its substituters: not signed by any key in its trusted-public-keys; they were pushed from here instead`,
      'warn',
    );
  }
  ctx.relay?.holds(step.system, destinationName(step.to));
}
