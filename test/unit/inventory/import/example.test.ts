// The example takes www-1..3 from example/inventory/www.yaml; with a fleet file (NIX_HIVE_FLEET) the fleet's
// addresses and host keys replace the placeholders, in the config and the inventory file alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadHive } from '../../../../lib/inventory/index.ts';
import { tempDir } from '../../../helpers/tmp.ts';

const EXAMPLE = fileURLToPath(new URL('../../../../example/', import.meta.url));

test('example/ with a fleet file: real addresses and pinned keys over the imported placeholders', async () => {
  const dir = tempDir('nix-hive-example-fleet-');
  const names = ['portico', 'www-1', 'www-2', 'www-3', 'storage'];
  const key = (i: number) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${'ABCDE'[i]}`;
  const fleet = {
    nixpkgs: path.join(dir, 'nixpkgs'),
    clientKey: path.join(dir, 'client'),
    hosts: Object.fromEntries(names.map((n, i) => [n, { address: `192.168.77.${i + 1}`, hostKey: key(i) }])),
  };
  writeFileSync(path.join(dir, 'fleet.json'), JSON.stringify(fleet));
  const saved = process.env.NIX_HIVE_FLEET;
  process.env.NIX_HIVE_FLEET = path.join(dir, 'fleet.json');
  try {
    const hive = await loadHive(EXAMPLE);
    assert.deepEqual(
      Object.values(hive.instances).map((i) => [
        i.name,
        i.address,
        i.hostKeys[0],
        i.via ?? '-',
        i.tags.join(),
      ]),
      [
        ['portico', '192.168.77.1', key(0), '-', 'edge'],
        ['storage', '192.168.77.5', key(4), 'portico', 'storage'],
        ['www-1', '192.168.77.2', key(1), 'portico', 'web'],
        ['www-2', '192.168.77.3', key(2), 'portico', 'web'],
        ['www-3', '192.168.77.4', key(3), 'portico', 'web'],
      ],
    );
    assert.equal(hive.instances['www-2']!.system, 'www');
    assert.equal(hive.instances['www-2']!.ssh.IdentityFile, fleet.clientKey);
  } finally {
    if (saved === undefined) delete process.env.NIX_HIVE_FLEET;
    else process.env.NIX_HIVE_FLEET = saved;
  }
});
