// Bad inventory files and clashes: one line each, naming the file (and the key), never a sensitive value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { config, folder, resolveIn } from './support.ts';

const www = (n: number, extra = '') => `  "www-${n}": { "system": "www", "address": "10.0.0.${n}"${extra} }`;
const json = (...lines: string[]) => `{\n${lines.join(',\n')}\n}\n`;

test('problems in imported instances name the file and the key', () => {
  const dir = folder({
    'inventory/www.json': json(
      www(6),
      www(7, ', "system": "ww"').replace('"system": "www", ', ''),
      www(8, ', "port": 0, "arn": "x"'),
    ),
  });
  const { lines } = resolveIn(dir, config({ inventory: ['inventory/www.json'] }));
  assert.deepEqual(lines, [
    'inventory/www.json: www-8.arn: unknown key (expected one of: system, address, user, port, via, store, compress, tags, hostKeys, ssh, checks, confirmTimeout, keys)',
    'inventory/www.json: www-8.port: must be between 1 and 65535, got 0',
    'inventory/www.json: www-7.system: unknown system "ww" (did you mean "www"?)',
  ]);
});

test('a name in two files, or in a file and the config, is an error naming both', () => {
  const dir = folder({
    'inventory/a.json': json(www(1), www(2)),
    'inventory/b.yaml':
      'www-2: { system: www, address: 10.0.0.22 }\nportico: { system: gate, address: 10.0.0.1 }\n',
  });
  const { lines, hive } = resolveIn(
    dir,
    config({
      instances: { portico: { system: 'gate', address: '203.0.113.10' } },
      inventory: ['inventory/*.{json,yaml}'],
    }),
  );
  assert.deepEqual(lines, [
    'instances.www-2: defined twice: in inventory/a.json and in inventory/b.yaml',
    'instances.portico: defined twice: in hive.config.ts and in inventory/b.yaml; to change an imported instance, use overrides',
  ]);
  assert.equal(hive.instances.portico!.address, '203.0.113.10');
});

test('overrides replace fields of imported instances, key by key; unknown names are suggested', () => {
  const dir = folder({ 'inventory/a.json': json(www(1, ', "ssh": { "ServerAliveInterval": 15 }'), www(2)) });
  const { lines, hive } = resolveIn(
    dir,
    config({
      inventory: ['inventory/a.json'],
      overrides: {
        'www-1': { address: '192.168.1.1', ssh: { IdentityFile: '/k' } },
        'www-3': { address: 'x' },
      },
    }),
  );
  assert.deepEqual(lines, ['overrides.www-3: unknown instance "www-3" (did you mean "www-1"?)']);
  assert.equal(hive.instances['www-1']!.address, '192.168.1.1');
  assert.deepEqual(hive.instances['www-1']!.ssh, { ServerAliveInterval: 15, IdentityFile: '/k' });
  assert.equal(hive.instances['www-2']!.address, '10.0.0.2');
});

test('a bad override value is reported at the override, once', () => {
  const dir = folder({ 'inventory/a.json': json(www(1)) });
  const { lines } = resolveIn(
    dir,
    config({ inventory: ['inventory/a.json'], overrides: { 'www-1': { system: 'wbe' } } }),
  );
  assert.deepEqual(lines, ['overrides.www-1.system: unknown system "wbe"']);
});

test("a source's defaults fill the instances; a bad default is reported once, at the source", () => {
  const dir = folder({ 'inventory/a.json': json(www(1), www(2), '  "www-3": { "address": "10.0.0.3" }') });
  const ok = resolveIn(
    dir,
    config({ inventory: [{ files: 'inventory/a.json', defaults: { system: 'gate', tags: ['web'] } }] }),
  );
  assert.deepEqual(ok.lines, []);
  assert.equal(ok.hive.instances['www-1']!.system, 'www');
  assert.equal(ok.hive.instances['www-3']!.system, 'gate');
  assert.deepEqual(ok.hive.instances['www-1']!.tags, ['web']);
  const bad = resolveIn(
    dir,
    config({ inventory: [{ files: 'inventory/a.json', defaults: { system: 'www', via: 'jump' } }] }),
  );
  assert.deepEqual(bad.lines, ['inventory[0].defaults.via: unknown instance "jump"']);
});

test('malformed files, files without instances and other terraform documents: a clear line naming the file', () => {
  const dir = folder({
    'inventory/empty.json': '',
    'inventory/scalar.yaml': 'just a string\n',
    'inventory/empty-list.json': '[]\n',
    'inventory/plan.json': '{ "format_version": "1.2", "planned_values": {}, "resource_changes": [] }',
    'inventory/no-name.json': '[{ "system": "www", "address": "10.0.0.1" }]',
    'inventory/bad.yaml': 'www-1:\n  system: www\n address: 10.0.0.1\n',
  });
  const { lines } = resolveIn(dir, config({ inventory: ['inventory/bad/*', 'inventory/*.{json,yaml}'] }));
  assert.deepEqual(lines, [
    'inventory/bad.yaml: cannot parse YAML: bad indent at line 3, column 1',
    'inventory/bad/malformed.json: cannot parse JSON: unexpected character at line 4, column 41',
    'inventory/bad/no-instances.json: no output holds instances (an instance is an object with an "address"; a map name → instance or a list of instances counts too); outputs: vpc_id (a string), subnet_ids (a list), admin_password (sensitive, skipped); name the ones to import in `outputs`, with a map to convert them',
    'inventory/bad/raw.tfstate: a raw terraform.tfstate: use the output of `terraform show -json` (or `terraform output -json`)',
    'inventory/empty-list.json: no instances (an empty list)',
    'inventory/empty.json: empty file (no instances)',
    'inventory/no-name.json: [0]: no "name" (a list of instances names each one with "name")',
    'inventory/plan.json: a terraform plan, not state: use the output of `terraform show -json` without a plan file',
    'inventory/scalar.yaml: expected an object or a list of instances, got string',
  ]);
  assert.ok(!lines.join('\n').includes('s3cr3t'), 'a sensitive value is never printed');
});

test('patterns matching nothing, missing files and non-function maps are errors at the entry', () => {
  const dir = folder();
  const { lines } = resolveIn(
    dir,
    config({
      inventory: [
        'inventory/nothing/*.json',
        'inventory/missing.json',
        { files: 'inventory/plain/www.yaml', map: 'x' as never },
        { files: 'inventory/plain/www.yaml', format: 'yaml' as never },
      ],
    }),
  );
  assert.deepEqual(lines, [
    'inventory[2].map: must be a function (available in a TypeScript or JavaScript config)',
    'inventory[0]: "inventory/nothing/*.json" matches no file',
    'inventory/missing.json: file not found',
    'inventory[3].format: must be one of auto, instances, terraform-output, terraform-state, pulumi-output, got "yaml"',
  ]);
});

test('options that do not fit the format are named', () => {
  const dir = folder();
  const { lines } = resolveIn(
    dir,
    config({
      inventory: [
        { files: 'inventory/terraform-state/state.json', outputs: ['web'] },
        { files: 'inventory/pulumi/stack.json', nameTag: 'Name' },
      ],
    }),
  );
  assert.deepEqual(lines, [
    'inventory/pulumi/stack.json: `nameTag` does not apply to `pulumi stack output --json`',
    'inventory/terraform-state/state.json: `outputs` does not apply to `terraform show -json` state',
  ]);
});

test('values from a sensitive output never appear in messages; names do', () => {
  const dir = folder({
    'inventory/tf.json': JSON.stringify({
      fleet: {
        sensitive: true,
        type: 'list',
        value: [
          { name: 'vault-1', system: 'vlt', address: '10.7.0.1', port: 99999, store: 'ssh://sekrit host' },
          { name: 'vault-2', system: 'www', address: 'p@ssw0rd-host', user: 'Admin' },
        ],
      },
    }),
  });
  const { lines } = resolveIn(
    dir,
    config({ inventory: [{ files: 'inventory/tf.json', outputs: ['fleet'] }] }),
  );
  assert.deepEqual(lines, [
    'inventory/tf.json: vault-1.port: must be between 1 and 65535, got (sensitive)',
    'inventory/tf.json: vault-1.store: invalid value (sensitive): must be an instance name or a Nix store URI (no spaces, no leading "-")',
    'inventory/tf.json: vault-2.address: invalid value (sensitive): must be a host name or IP address (no spaces, "@", quotes or leading "-")',
    'inventory/tf.json: vault-2.user: invalid value (sensitive): must be a Unix user name (lower case, starting with a letter or "_")',
    'inventory/tf.json: vault-1.system: unknown system (sensitive)',
  ]);
});

test('a state resource whose address attribute is sensitive: its values are not shown either', () => {
  const dir = folder();
  const { lines } = resolveIn(dir, config({ inventory: ['inventory/terraform-state/sensitive-ip.json'] }));
  assert.deepEqual(lines, [
    'inventory/terraform-state/sensitive-ip.json: vault.system: unknown system (sensitive)',
  ]);
});

test('a map whose instances carry "name" is ambiguous: the message points at format: pulumi-output', () => {
  const dir = folder({
    'inventory/p.json': '{ "bastion": { "name": "bastion-1", "address": "10.0.0.1", "system": "gate" } }',
  });
  const plain = resolveIn(dir, config({ inventory: ['inventory/p.json'] }));
  assert.deepEqual(plain.lines, [
    'inventory/p.json: bastion: "name" is not a field in a map of instances (the key is the name); for pulumi outputs, set format: pulumi-output',
  ]);
  const pulumi = resolveIn(
    dir,
    config({ inventory: [{ files: 'inventory/p.json', format: 'pulumi-output' }] }),
  );
  assert.deepEqual(pulumi.lines, []);
  assert.deepEqual(Object.keys(pulumi.hive.instances), ['bastion-1']);
});
