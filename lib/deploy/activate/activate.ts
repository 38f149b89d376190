// Activation of one instance. One remote command (activate-run.ts) arms the watchdog, starts (sets the system
// profile when the goal asks and it changes, then launches switch-to-configuration detached from the ssh
// session) and waits (its exit status and output, read back anew when the connection drops). Around it,
// the rollout (confirm.ts, checks.ts, reboot.ts): after `switch`/`test` a watchdog on the host rolls back
// unless the deployer confirms over a new connection once the checks passed; `--reboot` reboots after
// `boot` and waits for the new boot id (`--reboot=auto`: only the instances whose diff needs it); a switch whose kernel changed is noted as needing a reboot. What the
// switch's exit means (nix/switch-outcome.ts): a failure rolls back; failed units (exit 4) leave the host
// `degraded` and kept (rolled back with --rollback-on-degraded, or when a check fails); exit 100 is
// `needs-reboot`, kept; a held switch lock is `busy`: the watchdog withdrawn (the old system's switch never
// runs) and the profile set back, as nothing was switched. After `--reboot` the keys the reboot emptied from
// /run are sent again (keys-after-reboot.ts).
import { BusyError, HostError } from '../../errors.ts';
import { confirmTimeoutOf } from '../../inventory/resolve/resolve-checks.ts';
import { changesRunningSystem, setsProfile } from '../../nix/goal.ts';
import { restoreProfileArgv } from '../../nix/restore-profile.ts';
import { classifySwitch } from '../../nix/switch-outcome.ts';
import type { ActivateStep } from '../../plan/types.ts';
import { checkFailure, runChecks } from './checks.ts';
import { confirm, disarm, keepAlive, rollBack } from './confirm.ts';
import { armStartWait } from './activate-run.ts';
import { outPathOf, type ActivateCtx, type BuiltCtx, type RunCtx } from '../context.ts';
import { bootId, needsReboot, rebootAndWait } from './reboot.ts';
import { resendAfterReboot } from '../keys/keys-after-reboot.ts';
import type { KeysStageCtx } from '../keys/keys.ts';
import type { StepIO, StepResult } from '../run/run-dag.ts';

/** What an activation reads: the run, the built system, the rollout, the keys to send again after a reboot. */
export type ActivateStageCtx = RunCtx & BuiltCtx & ActivateCtx & KeysStageCtx;

export async function activate(
  ctx: ActivateStageCtx,
  step: ActivateStep,
  io: StepIO,
): Promise<StepResult | void> {
  const { instance } = step;
  const only = ctx.rollout?.reboot?.only;
  // `--reboot=auto`: an instance whose diff needs a reboot boots into the new system; the others keep the goal.
  const goal = only?.has(instance) ? 'boot' : step.goal;
  const id = `${ctx.runId}-${instance}`;
  const inst = ctx.hive.instances[instance]!;
  const outPath = outPathOf(ctx, step.system);
  const rollout = ctx.rollout;
  const guarded = Boolean(rollout?.rollback) && changesRunningSystem(goal);
  const confirmS = rollout?.confirmTimeoutS ?? confirmTimeoutOf(inst);
  const reboot =
    rollout?.reboot && goal === 'boot' && (!only || only.has(instance)) ? rollout.reboot : undefined;

  const bootBefore = reboot ? await bootId(ctx, instance, io) : '';
  // Arm, start, wait (and which boot parts changed) in one remote command: activate-run.ts.
  const askReboot = Boolean(rollout && (changesRunningSystem(goal) || setsProfile(goal)) && !reboot);
  const run = await armStartWait(
    ctx,
    {
      instance,
      id,
      outPath,
      goal,
      ...(guarded ? { confirmS } : {}),
      rebootParts: askReboot,
      ...(ctx.specialisation ? { specialisation: ctx.specialisation } : {}),
    },
    io,
  );
  const { previous, result } = run;
  if (guarded) ctx.notes.set(instance, { ...ctx.notes.get(instance), previous });
  for (const line of result.lines) io.log('stdout', line);
  const outcome = classifySwitch(goal, result.status, result.lines);
  if (outcome.kind === 'busy') {
    if (guarded) await disarm(ctx, instance, id, io);
    const r = await ctx.remote(instance, restoreProfileArgv(id), { signal: io.signal, root: true });
    const back = r.exitCode === 0 ? '' : `; setting the profile back failed (exit ${r.exitCode})`;
    throw new BusyError(`${outcome.reason}${back}`, { hint: 'deploy again once the other switch ended' });
  }
  if (outcome.kind === 'failed') {
    if (guarded) await rollBack(ctx, instance, id, 'activation-failed', outcome.reason, previous, io);
    throw new HostError(outcome.reason);
  }
  if (outcome.kind === 'needs-reboot') {
    if (guarded) await disarm(ctx, instance, id, io);
    ctx.notes.set(instance, { ...ctx.notes.get(instance), needsReboot: true });
    io.log('stderr', `nix-hive: ${instance} needs a reboot: ${outcome.reason}`);
    return { outcome: 'needs-reboot', reason: outcome.reason };
  }
  if (outcome.kind === 'degraded') {
    ctx.notes.set(instance, { ...ctx.notes.get(instance), failedUnits: outcome.failedUnits });
    if (guarded && rollout?.rollbackOnDegraded)
      await rollBack(ctx, instance, id, 'degraded', outcome.reason, previous, io);
  }

  if (reboot) await rebootAndWait(ctx, instance, bootBefore, outPath, reboot.timeoutS, io);
  if (reboot) await resendAfterReboot(ctx, instance, io);
  if (rollout && (changesRunningSystem(goal) || reboot) && inst.checks?.length) {
    const log = (line: string) => io.log('stderr', `nix-hive: ${line}`);
    const stop = guarded ? keepAlive(ctx, instance, id, confirmS, io) : async () => {};
    const results = await runChecks(
      { remote: ctx.remote, endpoint: ctx.endpoint, log, signal: io.signal },
      inst,
      inst.checks,
      true,
    ).finally(stop);
    const failure = checkFailure(results);
    if (failure && guarded) await rollBack(ctx, instance, id, 'check-failed', failure, previous, io);
    if (failure) throw new HostError(failure);
  }
  if (guarded) await confirm(ctx, instance, id, confirmS, previous, io);
  if (rollout && (changesRunningSystem(goal) || setsProfile(goal)) && !reboot) {
    const parts = run.rebootParts ?? (await needsReboot(ctx, instance, io.signal).catch(() => []));
    if (parts.length) {
      ctx.notes.set(instance, { ...ctx.notes.get(instance), needsReboot: true });
      io.log('stderr', `nix-hive: ${instance} needs a reboot (${parts.join(', ')} changed)`);
    }
  }
  if (outcome.kind === 'degraded') return { outcome: 'degraded', reason: outcome.reason };
}
