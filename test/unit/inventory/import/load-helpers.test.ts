// A hive.config.ts outside the repository uses the helpers from 'nix-hive' with a typed map, loaded the
// real way (loadHive, tsx): the file is read relative to the config's folder, whatever the working folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadHive } from '../../../../lib/inventory/index.ts';
import { InputError } from '../../../../lib/errors.ts';
import { folder, summary } from './support.ts';

const CONFIG = `
import { defineHive, fromTerraform, fromTerraformState } from 'nix-hive';

interface Server { private_ip: string; role: string; az: string }

export default defineHive({
  signingKey: './hive.sec',
  systems: { www: { modules: ['./www.nix'] }, gate: { modules: ['./gate.nix'] }, db: { modules: ['./db.nix'] } },
  inventory: [
    fromTerraform<Server>('inventory/terraform-output/raw-records.json', {
      outputs: ['web_servers'],
      map: (s, { key }) => (s.role === 'retired' ? undefined : { name: \`web-\${key}\`, system: s.role, address: s.private_ip }),
      defaults: { via: 'bastion', store: 'bastion', tags: ['web'] },
    }),
    fromTerraformState('inventory/terraform-state/state.json', { resources: ['aws_instance.bastion', 'module.db.*'] }),
  ],
  overrides: { 'web-a': { address: '192.0.2.1' } },
});
`;

const FILES = { 'www.nix': '{ }\n', 'gate.nix': '{ }\n', 'db.nix': '{ }\n', 'hive.sec': 'hive-1:AAAA\n' };

test('fromTerraform and fromTerraformState in a real hive.config.ts', async () => {
  const dir = folder({ ...FILES, 'hive.config.ts': CONFIG });
  const h = await loadHive(path.join(dir, 'hive.config.ts'));
  // Files in sorted path order: terraform-output/… before terraform-state/….
  assert.deepEqual(summary(h), [
    'web-a www 192.0.2.1 web bastion',
    'web-b www 10.2.0.12 web bastion',
    'bastion gate 10.4.0.5 edge -',
    'db-primary-0 db 10.4.3.10 db,primary -',
    'db-replica-eu-2-node-0 db 95.217.0.12 db -',
  ]);
  assert.deepEqual(h.instances['web-b']!.store, { kind: 'instance', name: 'bastion' });
});

test('problems in a real load name the file relative to the working folder', async () => {
  const dir = folder({
    ...FILES,
    'hive.config.ts': CONFIG.replace('system: s.role', "system: s.role + 'x'"),
  });
  const before = process.cwd();
  process.chdir(dir);
  try {
    await loadHive(undefined);
    assert.fail('expected problems');
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    assert.deepEqual(
      e.message.split('\n').filter((l) => !l.startsWith('systems.')),
      [
        'inventory/terraform-output/raw-records.json: web-a.system: unknown system "wwwx" (did you mean "www"?)',
        'inventory/terraform-output/raw-records.json: web-b.system: unknown system "wwwx" (did you mean "www"?)',
      ],
    );
  } finally {
    process.chdir(before);
  }
});
