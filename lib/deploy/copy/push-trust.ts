// The trust preflight of a push: before the deployer (or the build host) sends a closure to a host as a
// user other than root, ask that host's Nix whether it will take it. Nix's daemon checks the signatures of
// every path an untrusted user (not in `trusted-users`) imports, when `require-sigs` is on: unsigned paths,
// or paths signed by a key missing from `trusted-public-keys`, are refused after the transfer.
import { HostError } from '../../errors.ts';
import type { RemoteCtx, RunCtx, SignCtx } from '../context.ts';
import { remoteSettings, type NixSettings } from './preflight.ts';
import type { StepIO } from '../run/run-dag.ts';

/** Why the host's Nix refuses what the deploy sends as `user` (in `groups`), or undefined when it takes it. */
export function pushRefusal(
  settings: NixSettings,
  user: string,
  groups: string[],
  publicKey: string | undefined,
): string | undefined {
  const trusted = settings.trustedUsers.some(
    (t) => t === '*' || t === user || (t.startsWith('@') && groups.includes(t.slice(1))),
  );
  if (trusted || !settings.requireSigs) return undefined;
  const who = `${user} is not in its trusted-users (${settings.trustedUsers.join(' ') || 'none'})`;
  if (!publicKey)
    return `${who} and the hive signs nothing (no signingKey), so require-sigs refuses every path`;
  if (!settings.trustedKeys.includes(publicKey))
    return `${who} and it does not trust the hive key ${publicKey.split(':')[0]} (trusted-public-keys)`;
  return undefined;
}

/** Throws a HostError naming the host when its Nix would refuse the push; nothing to ask for root. */
export async function checkPushTrust(
  ctx: Pick<RunCtx, 'hive'> & RemoteCtx & Pick<SignCtx, 'publicKey'>,
  host: string,
  io: StepIO,
): Promise<void> {
  const user = ctx.hive.instances[host]?.user ?? 'root';
  if (user === 'root') return;
  const settings = await remoteSettings(ctx, host, io);
  let groups: string[] = [];
  if (settings.trustedUsers.some((t) => t.startsWith('@'))) {
    const r = await ctx.remote(host, ['id', '-Gn'], { signal: io.signal });
    if (r.exitCode === 0) groups = r.stdout.trim().split(/\s+/);
  }
  const why = pushRefusal(settings, user, groups, ctx.publicKey);
  if (why)
    throw new HostError(`${host} would refuse the closure: ${why}`, {
      hint: `add ${user} to its nix.settings.trusted-users, or the hive key to its trusted-public-keys`,
    });
}
