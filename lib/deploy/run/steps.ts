// Dispatches each plan step to its executor, one file per step kind: build (all systems in one batched
// nix-build, build-phase.ts), sign (sign.ts), copy (copy.ts, with the preflight), activate (activate.ts),
// keys (keys.ts).
// A new kind of step gets its own file and one line here.
import type { Step } from '../../plan/types.ts';
import type { StepIO, StepResult } from './run-dag.ts';
import { activate } from '../activate/activate.ts';
import { buildPhase } from '../build/build-phase.ts';
import { copy } from '../copy/copy.ts';
import { sign } from '../build/sign.ts';
import { uploadKeys } from '../keys/keys.ts';
import type { DeployContext } from '../context.ts';
import { HiveError } from '../../errors.ts';

export function createStepExecutor(
  ctx: DeployContext,
): (step: Step, io: StepIO) => Promise<StepResult | void> {
  let buildAll: Promise<Record<string, string>> | undefined;
  const buildSystemsOnce = (io: StepIO) => {
    const systems = ctx.plan.steps.filter((s) => s.kind === 'build').map((s) => s.system);
    return (buildAll ??= buildPhase(ctx, systems, io));
  };

  return async (step, io) => {
    switch (step.kind) {
      case 'build':
        if (!ctx.built.has(step.system)) {
          // One batch for every system; a system that failed in it fails alone, with Nix's message.
          const failed = (await buildSystemsOnce(io))[step.system];
          if (failed !== undefined) throw new HiveError('E_COMMAND', failed);
        }
        return;
      case 'sign':
        return sign(ctx, step, io);
      case 'copy':
        return copy(ctx, step, io);
      case 'activate':
        return activate(ctx, step, io);
      case 'keys':
        return uploadKeys(ctx, step, io);
    }
  };
}
