// The hive the ssh/run fleet tests use: a jump host at its public address and three internal hosts
// behind it at their internal ones, every host key pinned, written as a JSON config.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Fleet } from '../harness/fleet.ts';

export const INTERNAL = ['a', 'b', 'c'];
export const ALL = ['jump', ...INTERNAL];

export interface JumpHiveTweaks {
  /** Pinned key per instance, instead of the real one. */
  keys?: Record<string, string>;
  /** Leave IdentityFile out of the inventory (the user's ~/.ssh/config must give it). */
  noIdentity?: boolean;
  /** Extra ssh options per instance. */
  extraSsh?: Record<string, Record<string, string | number>>;
}

export async function writeJumpHive(fleet: Fleet, dir: string, tweaks: JumpHiveTweaks = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'stub.nix'), '{ }\n');
  const ssh = tweaks.noIdentity ? {} : { IdentityFile: fleet.clientKey, IdentitiesOnly: true };
  const instances: Record<string, unknown> = {
    jump: {
      system: 'stub',
      address: fleet.hosts.jump!.publicAddress,
      hostKeys: [tweaks.keys?.jump ?? fleet.hosts.jump!.hostKey],
      tags: ['jump'],
      ssh: { ...ssh, ...tweaks.extraSsh?.jump },
    },
  };
  for (const name of INTERNAL) {
    instances[name] = {
      system: 'stub',
      address: fleet.hosts[name]!.internalAddress,
      via: 'jump',
      hostKeys: [tweaks.keys?.[name] ?? fleet.hosts[name]!.hostKey],
      tags: ['internal'],
      ssh: { ...ssh, ...tweaks.extraSsh?.[name] },
    };
  }
  const file = join(dir, 'hive.config.json');
  await writeFile(
    file,
    JSON.stringify({ systems: { stub: { modules: ['./stub.nix'] } }, instances }, null, 2),
  );
  return file;
}
