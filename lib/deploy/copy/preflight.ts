// The substituter preflight: before an instance behind a store receives a closure, ask the instance
// itself whether it trusts the hive key and whether one of its own substituters (under whatever name
// it uses for the store) already holds the path. Without it a fleet silently pulls every closure over
// the deployer's uplink.
import { CommandError } from '../../errors.ts';
import { configShowArgv, pathInfoArgv, showConfigArgv } from '../../nix/argv.ts';
import type { Destination } from '../../plan/types.ts';
import { destinationName } from '../../plan/types.ts';
import type { RemoteCtx, SignCtx } from '../context.ts';
import type { StepIO } from '../run/run-dag.ts';

export interface NixSettings {
  substituters: string[];
  trustedKeys: string[];
  /** `trusted-users` (users, `@group`s, `*`). */
  trustedUsers: string[];
  requireSigs: boolean;
}

/** The instance's Nix settings: `nix show-config` (Nix 2.4+), else `nix config show` (newer Nix and Lix). */
export async function remoteSettings(ctx: RemoteCtx, instance: string, io: StepIO): Promise<NixSettings> {
  let r = await ctx.remote(instance, showConfigArgv(), { signal: io.signal });
  if (r.exitCode !== 0) r = await ctx.remote(instance, configShowArgv(), { signal: io.signal });
  if (r.exitCode !== 0) throw new CommandError(r, `reading the Nix settings of ${instance}`);
  const parsed = JSON.parse(r.stdout) as Record<string, { value?: unknown } | undefined>;
  const list = (k: string) => {
    const v = parsed[k]?.value;
    return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : [];
  };
  return {
    substituters: [...list('substituters'), ...list('extra-substituters')],
    trustedKeys: [...list('trusted-public-keys'), ...list('extra-trusted-public-keys')],
    trustedUsers: [...list('trusted-users'), ...list('extra-trusted-users')],
    requireSigs: parsed['require-sigs']?.value !== false,
  };
}

/**
 * Is the dependent wired to its store? It must trust the hive key (when signing), and one of its own
 * substituters, under whatever name it uses for the store, must already hold the path.
 */
export async function preflight(
  ctx: RemoteCtx & Pick<SignCtx, 'publicKey'>,
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
