// Executes one plan step: build (all systems in one batched nix-build), sign, copy (with the
// substituter preflight for instances behind a store), activate. Throws on failure.
import { checked, CommandError } from '../exec/spawn.ts';
import { HiveError } from '../errors.ts';
import { SshError } from '../ssh/failure.ts';
import { setsProfile } from '../nix/goal.ts';
import {
  hasSystemdArgv,
  launchDetachedArgv,
  readDetachedLogArgv,
  waitDetachedArgv,
} from '../nix/detached.ts';
import {
  activationArgvs,
  copyArgv,
  instanceStoreUri,
  pathInfoArgv,
  profileTargetArgv,
  showConfigArgv,
  signArgv,
} from '../nix/argv.ts';
import type { ActivateStep, CopyStep, Destination, SignStep, Step } from '../plan/types.ts';
import { destinationName } from '../plan/types.ts';
import type { StepIO } from './run-dag.ts';
import { buildPhase } from './build-phase.ts';
import { stateSaysReceived } from '../state/record.ts';
import { outPathOf, type DeployContext } from './context.ts';

export function createStepExecutor(ctx: DeployContext): (step: Step, io: StepIO) => Promise<void> {
  let buildAll: Promise<void> | undefined;
  const buildSystemsOnce = (io: StepIO) => {
    const systems = ctx.plan.steps.filter((s) => s.kind === 'build').map((s) => s.system);
    return (buildAll ??= buildPhase(ctx, systems, io));
  };

  return async (step, io) => {
    switch (step.kind) {
      case 'build':
        if (!ctx.built.has(step.system)) await buildSystemsOnce(io);
        return;
      case 'sign':
        return sign(ctx, step, io);
      case 'copy':
        return copy(ctx, step, io);
      case 'activate':
        return activate(ctx, step, io);
    }
  };
}

async function sign(ctx: DeployContext, step: SignStep, io: StepIO): Promise<void> {
  const key = ctx.hive.signingKey;
  if (!key) throw new HiveError('E_INPUT', 'signing requested but the hive has no signingKey');
  const argv = signArgv(key, outPathOf(ctx, step.system));
  await checked(ctx.spawn, argv.command, argv.args, {
    onLine: io.log,
    signal: io.signal,
    env: ctx.nixEnv,
    what: 'nix store sign',
  });
}

function storeUri(d: Destination): string {
  return d.kind === 'instance' ? instanceStoreUri(d.name) : d.uri;
}

async function copy(ctx: DeployContext, step: CopyStep, io: StepIO): Promise<void> {
  const outPath = outPathOf(ctx, step.system);
  if (ctx.plan.skip.copy) {
    if (step.to.kind === 'instance' && stateSaysReceived(ctx.state, step.to.name, outPath)) {
      io.log('stderr', `nix-hive: hive.state says ${step.to.name} has ${outPath}; not copying (--no copy)`);
      return;
    }
    ctx.say(
      `--no copy: copying to ${destinationName(step.to)} anyway: hive.state does not say it has ${step.system}`,
    );
  }
  if (step.to.kind === 'instance' && step.from) {
    const wired = await preflight(ctx, step.to.name, step.from, outPath, io);
    if (!wired.ok) {
      if (!ctx.allowDirect) {
        throw new HiveError(
          'E_HOST',
          `${step.to.name} is not wired to substitute from ${destinationName(step.from)}: ${wired.why}`,
          {
            hint: `add the store to its nix.conf substituters (and the hive key to trusted-public-keys), or pass --allow-direct to push from here`,
          },
        );
      }
      io.log('stderr', `nix-hive: ${wired.why}; pushing directly (--allow-direct)`);
    }
  }
  if (step.to.kind === 'instance') await ctx.connect(step.to.name, io.signal);
  const argv = copyArgv(storeUri(step.to), outPath, step.to.kind === 'instance');
  await checked(ctx.spawn, argv.command, argv.args, {
    onLine: io.log,
    signal: io.signal,
    env: { ...ctx.nixEnv, NIX_SSHOPTS: ctx.nixSshOpts },
    what: `nix copy to ${destinationName(step.to)}`,
  });
}

interface NixSettings {
  substituters: string[];
  trustedKeys: string[];
}

async function remoteSettings(ctx: DeployContext, instance: string, io: StepIO): Promise<NixSettings> {
  const r = await ctx.remote(instance, showConfigArgv(), { signal: io.signal });
  if (r.exitCode !== 0) throw new CommandError(r, `nix show-config on ${instance}`);
  const parsed = JSON.parse(r.stdout) as Record<string, { value?: unknown } | undefined>;
  const list = (k: string) => {
    const v = parsed[k]?.value;
    return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : [];
  };
  return {
    substituters: [...list('substituters'), ...list('extra-substituters')],
    trustedKeys: [...list('trusted-public-keys'), ...list('extra-trusted-public-keys')],
  };
}

/**
 * Is the dependent wired to its store? It must trust the hive key (when signing), and one of its own
 * substituters, under whatever name it uses for the store, must already hold the path.
 */
async function preflight(
  ctx: DeployContext,
  instance: string,
  store: Destination,
  outPath: string,
  io: StepIO,
): Promise<{ ok: true } | { ok: false; why: string }> {
  const settings = await remoteSettings(ctx, instance, io);
  if (ctx.publicKey && !settings.trustedKeys.includes(ctx.publicKey)) {
    const keyName = ctx.publicKey.split(':')[0];
    return { ok: false, why: `it does not trust the hive key ${keyName} (trusted-public-keys)` };
  }
  for (const sub of settings.substituters) {
    const r = await ctx.remote(instance, pathInfoArgv(sub, outPath), { signal: io.signal });
    if (r.exitCode === 0) {
      io.log('stderr', `nix-hive: ${instance} substitutes from ${sub}`);
      return { ok: true };
    }
  }
  const subs = settings.substituters.length ? settings.substituters.join(' ') : '(none)';
  return {
    ok: false,
    why: `none of its substituters (${subs}) has the closure that ${destinationName(store)} holds`,
  };
}

async function activate(ctx: DeployContext, step: ActivateStep, io: StepIO): Promise<void> {
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
