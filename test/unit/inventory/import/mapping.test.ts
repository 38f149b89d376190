// The typed helpers and their `map` functions, state selection options, and names from resource addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromPulumi, fromTerraform, fromTerraformState, type TerraformResource } from 'nix-hive';
import { addressName } from '../../../../lib/inventory/import/address-name.ts';
import { config, folder, resolveIn, summary } from './support.ts';

const dir = folder();

test('fromTerraform: map turns arbitrary records into instances; undefined skips one', () => {
  const seen: string[] = [];
  const source = fromTerraform<{ private_ip: string; role: string; az: string }>(
    'inventory/terraform-output/raw-records.json',
    {
      outputs: ['web_servers'],
      map: (r, { key, from, file }) => {
        seen.push(`${file} ${from} ${key}`);
        if (r.role === 'retired') return undefined;
        return { name: `www-${key}`, system: r.role, address: r.private_ip, tags: [r.az] };
      },
    },
  );
  assert.equal(source.format, 'terraform-output');
  const { hive, lines } = resolveIn(dir, config({ inventory: [source] }));
  assert.deepEqual(lines, []);
  assert.deepEqual(summary(hive), ['www-a www 10.2.0.11 eu-west-1a -', 'www-b www 10.2.0.12 eu-west-1b -']);
  assert.deepEqual(seen, [
    'inventory/terraform-output/raw-records.json web_servers.a a',
    'inventory/terraform-output/raw-records.json web_servers.b b',
    'inventory/terraform-output/raw-records.json web_servers.c c',
  ]);
});

test('map: the default name is the key; a list of scalars is a list of records', () => {
  const { hive, lines } = resolveIn(
    dir,
    config({
      inventory: [
        fromTerraform<string>('inventory/terraform-output/raw-records.json', {
          outputs: ['ips'],
          map: (ip) => ({ address: ip, system: 'cache' }),
        }),
      ],
    }),
  );
  assert.deepEqual(lines, []);
  assert.deepEqual(Object.keys(hive.instances), ['ips-0', 'ips-1', 'ips-2']);
});

test('map failures and bad results name the record', () => {
  const { lines } = resolveIn(
    dir,
    config({
      inventory: [
        fromTerraform('inventory/terraform-output/raw-records.json', {
          outputs: ['web_servers'],
          map: (r) => {
            if (r.role === 'retired') throw new TypeError('no role');
            return r.az === 'eu-west-1a'
              ? ('x' as never)
              : { address: r.private_ip, system: 'www', name: 'same' };
          },
        }),
      ],
    }),
  );
  assert.deepEqual(lines, [
    'inventory/terraform-output/raw-records.json: web_servers.a: map returned a string; expected an instance object, or undefined to skip',
    'inventory/terraform-output/raw-records.json: web_servers.c: map threw TypeError: no role',
  ]);
});

test('a map without outputs, and outputs that do not exist, are explained', () => {
  const { lines } = resolveIn(
    dir,
    config({
      inventory: [
        { files: 'inventory/terraform-output/raw-records.json', map: () => undefined },
        fromTerraform('inventory/terraform-output/outputs.json', { outputs: ['wbe', 'vpc_id'] }),
      ],
    }),
  );
  assert.deepEqual(lines, [
    'inventory/terraform-output/outputs.json: no output "wbe" (did you mean "web"?)',
    'inventory/terraform-output/outputs.json: vpc_id: is not an instance, a map name → instance or a list of instances (an instance is an object with an "address"); convert it with a map function',
    'inventory/terraform-output/raw-records.json: a map needs `outputs`: the terraform outputs whose records it maps',
  ]);
});

test('fromPulumi: a "[secret]" output cannot be imported; the message says how to export it', () => {
  const { lines } = resolveIn(
    dir,
    config({ inventory: [fromPulumi('inventory/pulumi/stack.json', { outputs: ['dbPassword'] })] }),
  );
  assert.deepEqual(lines, [
    'inventory/pulumi/stack.json: dbPassword: is a secret shown as "[secret]": export it with `pulumi stack output --json --show-secrets`',
  ]);
});

test('fromTerraformState: resources by address pattern, another name tag and address attribute', () => {
  const { hive, lines } = resolveIn(
    dir,
    config({
      defaults: { system: 'www' },
      inventory: [
        fromTerraformState('inventory/terraform-state/state.json', {
          resources: ['aws_instance.www', 'aws_instance.untagged', 'module.db.*'],
          nameTag: 'Name',
          addressFrom: ['public_ip', 'private_ip', 'ipv4_address'],
        }),
      ],
    }),
  );
  // `www` is the Name of both counted instances: a clash naming both addresses.
  assert.deepEqual(lines, [
    'inventory/terraform-state/state.json: aws_instance.www[1]: instance "www" defined twice in this file: by aws_instance.www[0] and by aws_instance.www[1]',
  ]);
  assert.deepEqual(summary(hive), [
    'www www 10.4.1.10 web,canary -',
    // Untagged: no system tag, so defaults.system.
    'scratch www 10.4.9.9 - -',
    'db-primary-0 db 10.4.3.10 db,primary -',
    'db-replica-eu-2-node-0 db 95.217.0.12 db -',
  ]);
});

test('fromTerraformState with a map sees every managed resource, modules included', () => {
  const seen: string[] = [];
  const { hive, lines } = resolveIn(
    dir,
    config({
      inventory: [
        fromTerraformState('inventory/terraform-state/state.json', {
          map: (r: TerraformResource, { key }) => {
            seen.push(`${r.address} ${r.module || '-'} ${String(r.index ?? '-')} ${key}`);
            if (r.type !== 'aws_instance') return undefined;
            return { address: String(r.values.private_ip), system: r.tags.HiveSystem ?? 'www' };
          },
        }),
      ],
    }),
  );
  assert.deepEqual(lines, []);
  assert.deepEqual(seen, [
    'aws_instance.bastion - - bastion',
    'aws_security_group.web - - web',
    'aws_instance.www[0] - 0 www-0',
    'aws_instance.www[1] - 1 www-1',
    'aws_instance.edge["eu-west-1a"] - eu-west-1a edge-eu-west-1a',
    'aws_instance.edge["eu-west-1b"] - eu-west-1b edge-eu-west-1b',
    'aws_instance.untagged - - untagged',
    'module.db.aws_instance.primary[0] module.db 0 db-primary-0',
    'module.db.module.replica["eu-2"].hcloud_server.node[0] module.db.module.replica["eu-2"] 0 db-replica-eu-2-node-0',
  ]);
  assert.equal(Object.keys(hive.instances).length, 7);
});

test('a state resource without an address says which attributes were tried', () => {
  const { lines } = resolveIn(
    dir,
    config({
      inventory: [
        fromTerraformState('inventory/terraform-state/state.json', { addressFrom: ['public_dns'] }),
      ],
    }),
  );
  assert.equal(lines.length, 7);
  assert.equal(
    lines[0],
    'inventory/terraform-state/state.json: aws_instance.bastion: no address: none of public_dns is set (choose the attribute with `addressFrom`)',
  );
});

test('names from addresses: modules, counts and for_each keys, always valid', () => {
  assert.equal(addressName('aws_instance.www[0]'), 'www-0');
  assert.equal(addressName('aws_instance.www["a"]'), 'www-a');
  assert.equal(addressName('module.web["x"].aws_instance.app[1]'), 'web-x-app-1');
  assert.equal(addressName('module.a.module.b[0].hcloud_server.x'), 'a-b-0-x');
  assert.equal(addressName('aws_instance.www["eu west/1"]'), 'www-eu-west-1');
  assert.equal(addressName('aws_instance.www["-odd-"]'), 'www-odd');
  const long = addressName(`aws_instance.${'x'.repeat(80)}[3]`);
  assert.equal(long.length, 63);
  assert.ok(long.endsWith('x-3'));
  for (const a of ['aws_instance.w["ü"]', 'aws_instance.w["..."]', 'aws_instance._[0]'])
    assert.match(addressName(a), /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/, a);
});
