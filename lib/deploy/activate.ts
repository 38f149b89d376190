// Activation of one instance, in two remote commands: start (set the system profile when the goal
// asks and it changes, then launch switch-to-configuration detached from the ssh session) and wait
// (read its exit status and output back, reconnecting when the connection drops meanwhile).
import { CommandError, HostError, SshError } from '../errors.ts';
import { parseWaitOutput, startActivationArgv, waitActivationArgv } from '../nix/detached.ts';
import type { ActivateStep } from '../plan/types.ts';
import { outPathOf, type DeployContext } from './context.ts';
import type { StepIO } from './run-dag.ts';

export async function activate(ctx: DeployContext, step: ActivateStep, io: StepIO): Promise<void> {
  const { instance, goal } = step;
  const id = `${ctx.runId}-${instance}`;
  const start = await ctx.remote(instance, startActivationArgv(id, outPathOf(ctx, step.system), goal), {
    onLine: io.log,
    signal: io.signal,
    root: true,
  });
  if (start.exitCode !== 0) throw new CommandError(start, `starting the activation on ${instance}`);

  const deadline = Date.now() + ctx.activationTimeoutMs;
  let result: { status: string; lines: string[] } | undefined;
  let lastError: Error | undefined;
  while (result === undefined) {
    const left = (deadline - Date.now()) / 1000;
    if (left <= 0) break;
    try {
      const r = await ctx.remote(instance, waitActivationArgv(id, left), { signal: io.signal, root: true });
      if (r.exitCode === 0) result = parseWaitOutput(r.stdout);
      else if (r.exitCode === 124) break;
      else throw new CommandError(r, `waiting for the activation on ${instance}`);
    } catch (err) {
      if (io.signal.aborted || !(err instanceof SshError || err instanceof CommandError)) throw err;
      lastError = err;
      io.log('stderr', `nix-hive: lost the connection while activating (${err.message}); reconnecting`);
      await new Promise((res) => setTimeout(res, 1000));
    }
  }
  if (result === undefined) {
    throw new HostError(
      `the activation on ${instance} did not finish in ${ctx.activationTimeoutMs / 1000}s`,
      {
        cause: lastError,
      },
    );
  }
  for (const line of result.lines) io.log('stdout', line);
  if (result.status !== '0') {
    const last = result.lines.at(-1);
    throw new HostError(
      `switch-to-configuration ${goal} exited with code ${result.status}${last ? `: ${last}` : ''}`,
    );
  }
}
