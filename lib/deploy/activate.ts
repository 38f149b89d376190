// Activation of one instance. One remote command (activate-run.ts) arms the watchdog, starts (sets the system
// profile when the goal asks and it changes, then launches switch-to-configuration detached from the ssh
// session) and waits (its exit status and output, read back anew when the connection drops). Around it,
// the rollout (confirm.ts, checks.ts, reboot.ts): after `switch`/`test` a watchdog on the host rolls back
// unless the deployer confirms over a new connection once the checks passed; `--reboot` reboots after
// `boot` and waits for the new boot id; a switch whose kernel changed is noted as needing a reboot.
import { HostError } from '../errors.ts';
import { confirmTimeoutOf } from '../inventory/resolve-checks.ts';
import { changesRunningSystem } from '../nix/goal.ts';
import type { ActivateStep } from '../plan/types.ts';
import { checkFailure, runChecks } from './checks.ts';
import { confirm, keepAlive, rollBack } from './confirm.ts';
import { armStartWait } from './activate-run.ts';
import { outPathOf, type DeployContext } from './context.ts';
import { bootId, needsReboot, rebootAndWait } from './reboot.ts';
import type { StepIO } from './run-dag.ts';

export async function activate(ctx: DeployContext, step: ActivateStep, io: StepIO): Promise<void> {
  const { instance, goal } = step;
  const id = `${ctx.runId}-${instance}`;
  const inst = ctx.hive.instances[instance]!;
  const outPath = outPathOf(ctx, step.system);
  const rollout = ctx.rollout;
  const guarded = Boolean(rollout?.rollback) && changesRunningSystem(goal);
  const confirmS = rollout?.confirmTimeoutS ?? confirmTimeoutOf(inst);
  const reboot = rollout?.reboot && goal === 'boot' ? rollout.reboot : undefined;

  const bootBefore = reboot ? await bootId(ctx, instance, io) : '';
  // Arm, start, wait (and which boot parts changed) in one remote command: activate-run.ts.
  const askReboot = Boolean(rollout && changesRunningSystem(goal) && !reboot);
  const run = await armStartWait(
    ctx,
    { instance, id, outPath, goal, ...(guarded ? { confirmS } : {}), rebootParts: askReboot },
    io,
  );
  const { previous, result } = run;
  if (guarded) ctx.notes.set(instance, { ...ctx.notes.get(instance), previous });
  for (const line of result.lines) io.log('stdout', line);
  if (result.status !== '0') {
    const last = result.lines.at(-1);
    const reason = `switch-to-configuration ${goal} exited with code ${result.status}${last ? `: ${last}` : ''}`;
    if (guarded) await rollBack(ctx, instance, id, 'activation-failed', reason, previous, io);
    throw new HostError(reason);
  }

  if (reboot) await rebootAndWait(ctx, instance, bootBefore, outPath, reboot.timeoutS, io);
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
  if (rollout && changesRunningSystem(goal)) {
    const parts = run.rebootParts ?? (await needsReboot(ctx, instance, io.signal).catch(() => []));
    if (parts.length) {
      ctx.notes.set(instance, { ...ctx.notes.get(instance), needsReboot: true });
      io.log('stderr', `nix-hive: ${instance} needs a reboot (${parts.join(', ')} changed)`);
    }
  }
}
