// Activation of one instance: set the system profile when the goal asks for it (and it changes), then
// run switch-to-configuration detached from the ssh session and read its outcome back, reconnecting
// when the connection drops meanwhile.
import { CommandError } from '../exec/spawn.ts';
import { HiveError } from '../errors.ts';
import { activationArgvs, profileTargetArgv } from '../nix/argv.ts';
import {
  hasSystemdArgv,
  launchDetachedArgv,
  readDetachedLogArgv,
  waitDetachedArgv,
} from '../nix/detached.ts';
import { setsProfile } from '../nix/goal.ts';
import type { ActivateStep } from '../plan/types.ts';
import { SshError } from '../ssh/failure.ts';
import { outPathOf, type DeployContext } from './context.ts';
import type { StepIO } from './run-dag.ts';

export async function activate(ctx: DeployContext, step: ActivateStep, io: StepIO): Promise<void> {
  const outPath = outPathOf(ctx, step.system);
  let profileTarget: string | undefined;
  if (setsProfile(step.goal)) {
    const r = await ctx.remote(step.instance, profileTargetArgv(), { signal: io.signal });
    profileTarget = r.exitCode === 0 ? r.stdout.trim() : undefined;
  }
  const argvs = activationArgvs(outPath, step.goal, profileTarget);
  const switchCommand = argvs.pop()!;
  for (const argv of argvs) {
    const r = await ctx.remote(step.instance, argv, { onLine: io.log, signal: io.signal, root: true });
    if (r.exitCode !== 0) throw new CommandError(r, `${argv[0]} on ${step.instance}`);
  }
  await runDetached(ctx, step.instance, switchCommand, io);
}

/**
 * Runs switch-to-configuration detached from the ssh session and reads its outcome back, reconnecting
 * when the connection drops meanwhile (the next ssh call opens a new one).
 */
async function runDetached(
  ctx: DeployContext,
  instance: string,
  command: string[],
  io: StepIO,
): Promise<void> {
  const id = `${ctx.runId}-${instance}`;
  const probe = await ctx.remote(instance, hasSystemdArgv(), { signal: io.signal });
  const launch = await ctx.remote(instance, launchDetachedArgv(id, command, probe.exitCode === 0), {
    signal: io.signal,
    root: true,
  });
  if (launch.exitCode !== 0) throw new CommandError(launch, `starting the activation on ${instance}`);
  const deadline = Date.now() + ctx.activationTimeoutMs;
  let status: string | undefined;
  let lastError: Error | undefined;
  while (status === undefined) {
    const left = (deadline - Date.now()) / 1000;
    if (left <= 0) break;
    try {
      const r = await ctx.remote(instance, waitDetachedArgv(id, left), { signal: io.signal, root: true });
      if (r.exitCode === 0) status = r.stdout.trim();
      else if (r.exitCode === 124) break;
      else throw new CommandError(r, `waiting for the activation on ${instance}`);
    } catch (err) {
      if (io.signal.aborted || !(err instanceof SshError || err instanceof CommandError)) throw err;
      lastError = err;
      io.log('stderr', `nix-hive: lost the connection while activating (${err.message}); reconnecting`);
      await new Promise((res) => setTimeout(res, 1000));
    }
  }
  const log = await ctx.remote(instance, readDetachedLogArgv(id), { signal: io.signal, root: true });
  for (const line of log.stdout.split('\n')) if (line) io.log('stdout', line);
  if (status === undefined) {
    throw new HiveError(
      'E_HOST',
      `the activation on ${instance} did not finish in ${ctx.activationTimeoutMs / 1000}s`,
      {
        cause: lastError,
      },
    );
  }
  if (status !== '0') {
    const last = log.stdout.split('\n').filter(Boolean).at(-1);
    throw new HiveError(
      'E_HOST',
      `switch-to-configuration ${command[1]} exited with code ${status}${last ? `: ${last}` : ''}`,
    );
  }
}
