// The sign step: signs a system's whole closure with the hive's key (`nix store sign --recursive`), so
// instances behind a store accept it as a substitute. The key is read here, on first use, and never earlier.
import { checked } from '../../exec/spawn.ts';
import { inputError } from '../../errors.ts';
import { signArgv, signFromStdinArgv } from '../../nix/argv.ts';
import type { SignStep } from '../../plan/types.ts';
import { outPathOf, type BuiltCtx, type LocalCtx, type RemoteCtx, type SignCtx } from '../context.ts';
import type { StepIO } from '../run/run-dag.ts';
import { signOnHost } from './build-host.ts';

export async function sign(
  ctx: LocalCtx & RemoteCtx & SignCtx & BuiltCtx,
  step: SignStep,
  io: StepIO,
): Promise<void> {
  if (step.on) return signOnHost(ctx, step, io);
  const key = ctx.signingKey;
  if (!key) throw inputError('signingKey', 'signing requested but the hive has no signingKey');
  const material = await key.load();
  ctx.publicKey ??= await key.publicKey();
  const argv = material.input
    ? signFromStdinArgv(outPathOf(ctx, step.system))
    : signArgv(material.keyFile, outPathOf(ctx, step.system));
  await checked(ctx.spawn, argv.command, argv.args, {
    ...(material.input ? { input: material.input } : {}),
    onLine: io.log,
    signal: io.signal,
    env: ctx.nixEnv,
    what: 'nix store sign',
  });
}
