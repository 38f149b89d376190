// The hive the ssh/run fleet tests use: a jump host at its public address and three internal hosts
// behind it at their internal ones, every host key pinned, written as a JSON config; and useJumpFleet, their
// fleet with that hive and an empty HOME.
import { after } from 'node:test';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Fleet } from '../harness/fleet.ts';
import { useFleet } from './use-fleet.ts';

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

export interface JumpFleet {
  fleet: Fleet;
  /** A scratch folder of the test's own (`/tmp/nh-<label>-test-…`), removed after the tests. */
  tmp: string;
  /** `<tmp>/home`, with an empty `.ssh` (0700): the HOME the CLI runs with. */
  home: string;
  /** The jump hive's config file, written under `<tmp>/hive`. */
  config: string;
}

/**
 * The jump host and the hosts behind it for the tests of the file (or of the describe block it is called in),
 * with a scratch folder, an empty HOME and the jump hive; `setup` gets them once they are there.
 */
export function useJumpFleet(label: string, setup?: (j: JumpFleet) => unknown): JumpFleet {
  const j = {} as JumpFleet;
  useFleet(
    { jump: 'both', ...Object.fromEntries(INTERNAL.map((name) => [name, 'internal' as const])) },
    async (u) => {
      j.fleet = u.fleet;
      j.tmp = await mkdtemp(`/tmp/nh-${label}-test-`);
      j.home = join(j.tmp, 'home');
      await mkdir(join(j.home, '.ssh'), { recursive: true, mode: 0o700 });
      j.config = await writeJumpHive(j.fleet, join(j.tmp, 'hive'));
      await setup?.(j);
    },
  );
  after(async () => {
    if (j.tmp) await rm(j.tmp, { recursive: true, force: true });
  });
  return j;
}
