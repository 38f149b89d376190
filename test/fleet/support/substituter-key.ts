// The example's portico substituter key on a test or demo fleet: a fresh ssh key pair whose public half
// portico authorizes for `nix-store --serve` only, recorded in the fleet file (`substituterKey`) so
// example/hive.config.ts delivers the private half to the hosts behind portico as a nix-hive key
// (/etc/nix/portico-substituter, mode 0600).
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from '../harness/fleet.ts';
import { generateKey } from '../harness/keys.ts';

export const SUBSTITUTER_KEY_PATH = '/etc/nix/portico-substituter';

/** Makes the pair in `dir`, authorizes it on portico, adds `substituterKey` to the fleet file; returns its path. */
export async function addPorticoSubstituterKey(
  fleet: Fleet,
  fleetFile: string,
  dir: string,
): Promise<string> {
  const key = path.join(dir, 'portico-substituter');
  const pub = await generateKey(key, 'portico-substituter');
  const portico = fleet.hosts.portico!;
  await appendFile(
    path.join(portico.dir, 'root', '.ssh', 'authorized_keys'),
    `restrict,command="nix-store --serve" ${pub} portico-substituter\n`,
  );
  const json = JSON.parse(await readFile(fleetFile, 'utf8'));
  json.substituterKey = key;
  await writeFile(fleetFile, `${JSON.stringify(json, null, 2)}\n`);
  return key;
}

/** nix.conf lines for a host behind portico that substitutes from it with the delivered key only. */
export function substituteWithKeyLines(fleet: Fleet, trustedKey: string): string[] {
  return [
    `substituters = ssh://root@${fleet.hosts.portico!.internalAddress}?ssh-key=${SUBSTITUTER_KEY_PATH}`,
    `trusted-public-keys = ${trustedKey}`,
    'require-sigs = true',
  ];
}
