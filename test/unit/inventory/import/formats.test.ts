// Every format, recognised by content, imported from realistic fixtures into a hive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { config, folder, resolveIn, summary } from './support.ts';

const dir = folder();

test('terraform output -json: the instance-shaped outputs (one, a map, a list), sensitive ones skipped', () => {
  const { hive, lines } = resolveIn(dir, config({ inventory: ['inventory/terraform-output/outputs.json'] }));
  assert.deepEqual(lines, []);
  assert.deepEqual(summary(hive), [
    'bastion gate 198.51.100.7 edge -',
    'db-a db 10.1.0.21 - bastion',
    'db-b db 10.1.0.22 - bastion',
    'www-1 www 10.1.0.11 web -',
    'www-2 www 10.1.0.12 web -',
    // A list item without `name` is `<output>-<index>`.
    'web-2 www 10.1.0.13 web,canary -',
  ]);
  // `workers` is instance-shaped but sensitive: left out unless named.
  assert.equal(hive.instances['worker-1'], undefined);
});

test('a sensitive output named in `outputs` is imported (it is the instance data)', () => {
  const { hive, lines } = resolveIn(
    dir,
    config({ inventory: [{ files: 'inventory/terraform-output/outputs.json', outputs: ['workers'] }] }),
  );
  assert.deepEqual(lines, []);
  assert.deepEqual(summary(hive), ['worker-1 www 10.9.0.1 - -', 'worker-2 www 10.9.0.2 - -']);
});

test('terraform show -json: tagged resources of the root and nested modules; counted and for_each names', () => {
  const { hive, lines } = resolveIn(dir, config({ inventory: ['inventory/terraform-state/state.json'] }));
  assert.deepEqual(lines, []);
  assert.deepEqual(summary(hive), [
    // The HiveName tag names it; HiveTags gives tags.
    'bastion gate 10.4.0.5 edge -',
    // aws_instance.www[0], [1]: counted.
    'www-0 www 10.4.1.10 web,canary -',
    'www-1 www 10.4.1.11 web -',
    // aws_instance.edge["eu-west-1a"]: for_each.
    'edge-eu-west-1a gate 10.4.2.10 - -',
    'edge-eu-west-1b gate 10.4.2.11 - -',
    // module.db.aws_instance.primary[0]
    'db-primary-0 db 10.4.3.10 db,primary -',
    // module.db.module.replica["eu-2"].hcloud_server.node[0]: nested modules, ipv4_address, labels.
    'db-replica-eu-2-node-0 db 95.217.0.12 db -',
  ]);
  // Untagged instances, security groups and data sources are not instances.
  assert.equal(hive.instances.untagged, undefined);
  assert.equal(hive.instances.nixos, undefined);
});

test('pulumi stack output --json: instance-shaped outputs; "[secret]" and scalars skipped', () => {
  const { hive, lines } = resolveIn(dir, config({ inventory: ['inventory/pulumi/stack.json'] }));
  assert.deepEqual(lines, []);
  assert.deepEqual(summary(hive), [
    'bastion gate 203.0.113.50 - -',
    'web-1 www 10.3.0.11 web bastion',
    'web-2 www 10.3.0.12 web bastion',
  ]);
});

test('plain YAML map and JSON list, merged in sorted file order after the config instances', () => {
  const { hive, lines } = resolveIn(
    dir,
    config({
      signingKey: './k',
      instances: { portico: { system: 'gate', address: '203.0.113.10' } },
      inventory: ['inventory/plain/*'],
    }),
  );
  assert.deepEqual(lines, []);
  assert.deepEqual(summary(hive), [
    'portico gate 203.0.113.10 - -',
    'cache-1 cache 10.0.1.31 - -',
    'cache-2 cache 10.0.1.32 - -',
    'www-1 www 10.0.0.11 web portico',
    'www-2 www 10.0.0.12 web,canary portico',
  ]);
  assert.equal(hive.instances['cache-1']!.port, 2222);
  assert.equal(hive.instances['cache-2']!.user, 'deploy');
  assert.deepEqual(hive.instances['cache-2']!.ssh, { ServerAliveInterval: 15 });
});

test('several patterns: each file once, in sorted path order, whatever the pattern order', () => {
  const a = resolveIn(
    dir,
    config({
      inventory: [
        'inventory/pulumi/*.json',
        'inventory/terraform-output/outputs.json',
        'inventory/plain/list.json',
      ],
    }),
  );
  const b = resolveIn(
    dir,
    config({
      inventory: [
        'inventory/plain/list.json',
        'inventory/terraform-output/outputs.json',
        'inventory/pulumi/*.json',
      ],
    }),
  );
  // bastion is in both the pulumi and the terraform fixtures.
  assert.deepEqual(a.lines, [
    'instances.bastion: defined twice: in inventory/pulumi/stack.json and in inventory/terraform-output/outputs.json',
    'instances.web-2: defined twice: in inventory/pulumi/stack.json and in inventory/terraform-output/outputs.json',
  ]);
  assert.deepEqual(Object.keys(a.hive.instances), Object.keys(b.hive.instances));
  assert.deepEqual(a.lines, b.lines);
});

test('`!pattern` excludes; a file named without wildcards is left out of the patterns, read with its options', () => {
  const { hive, lines } = resolveIn(
    dir,
    config({
      inventory: [
        'inventory/terraform-output/*.json',
        '!inventory/terraform-output/raw-records.json',
        { files: 'inventory/terraform-output/outputs.json', outputs: ['db', 'bastion'] },
      ],
    }),
  );
  assert.deepEqual(lines, []);
  assert.deepEqual(Object.keys(hive.instances), ['db-a', 'db-b', 'bastion']);
});

test('`format` forces a reader; a file of another format says what it looks like', () => {
  const { lines } = resolveIn(
    dir,
    config({ inventory: [{ files: 'inventory/pulumi/stack.json', format: 'terraform-state' }] }),
  );
  assert.deepEqual(lines, [
    'inventory/pulumi/stack.json: expected `terraform show -json` state, but this looks like `pulumi stack output --json`',
  ]);
});

test('null fields are unset (terraform object types give every attribute, null when there is none)', () => {
  const dir2 = folder({
    'inventory/tf.json': JSON.stringify({
      web: {
        sensitive: false,
        type: ['list', ['object', {}]],
        value: [
          { name: 'www-1', address: '10.0.0.1', system: 'www', via: null, port: null, tags: ['web'] },
          { name: 'www-2', address: '10.0.0.2', system: 'www', via: 'www-1', port: 2222, tags: null },
        ],
      },
    }),
  });
  const { hive, lines } = resolveIn(dir2, config({ inventory: ['inventory/tf.json'] }));
  assert.deepEqual(lines, []);
  assert.deepEqual(summary(hive), ['www-1 www 10.0.0.1 web -', 'www-2 www 10.0.0.2 - www-1']);
  assert.equal(hive.instances['www-1']!.port, 22);
});
