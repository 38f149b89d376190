// A terraform state in format_version 0.1 (terraform 0.12, the shape of terraform-json's testdata/no_changes):
// addresses without their index (it stands beside them) and, in child_modules, without their module path; data
// sources beside managed resources. Only managed resources become instances, each named with its module path
// and index, so nothing collides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromTerraformState, type TerraformResource } from '../../../../lib/inventory/index.ts';
import { config, folder, resolveIn, summary } from './support.ts';

const tags = (system: string) => ({ tags: { HiveSystem: system } });
const resource = (name: string, values: object, extra: object = {}) => ({
  address: `aws_instance.${name}`,
  mode: 'managed',
  type: 'aws_instance',
  name,
  provider_name: 'aws',
  schema_version: 1,
  values,
  ...extra,
});

const STATE = {
  format_version: '0.1',
  terraform_version: '0.12.0',
  values: {
    outputs: { vpc: { sensitive: false, value: 'vpc-1' } },
    root_module: {
      resources: [
        {
          address: 'data.aws_instance.lookup',
          mode: 'data',
          type: 'aws_instance',
          name: 'lookup',
          provider_name: 'aws',
          schema_version: 1,
          values: { private_ip: '10.0.9.9', ...tags('www') },
        },
        resource('www', { private_ip: '10.0.1.1', ...tags('www') }),
        resource('web', { private_ip: '10.0.2.0', ...tags('www') }, { index: 0 }),
        resource('web', { private_ip: '10.0.2.1', ...tags('www') }, { index: 1 }),
        resource('edge', { private_ip: '10.0.3.1', ...tags('gate') }, { index: 'eu-west-1a' }),
      ],
      child_modules: [
        {
          address: 'module.db',
          resources: [resource('www', { private_ip: '10.0.4.1', ...tags('db') })],
          child_modules: [
            {
              address: 'module.db.module.replica',
              resources: [resource('www', { private_ip: '10.0.5.1', ...tags('db') }, { index: 0 })],
            },
          ],
        },
      ],
    },
  },
};

const dir = folder({ 'tf/state-0.1.json': JSON.stringify(STATE) });

test('managed resources only, named with their module path and index: nothing collides', () => {
  const { hive, lines } = resolveIn(dir, config({ inventory: ['tf/state-0.1.json'] }));
  assert.deepEqual(lines, []);
  assert.deepEqual(summary(hive), [
    'www www 10.0.1.1 - -',
    'web-0 www 10.0.2.0 - -',
    'web-1 www 10.0.2.1 - -',
    'edge-eu-west-1a gate 10.0.3.1 - -',
    'db-www db 10.0.4.1 - -',
    'db-replica-www-0 db 10.0.5.1 - -',
  ]);
});

test('a map sees whole addresses; data sources are left out even when a pattern matches them', () => {
  const seen: string[] = [];
  const { hive, lines } = resolveIn(
    dir,
    config({
      inventory: [
        fromTerraformState('tf/state-0.1.json', {
          resources: ['*'],
          map: (r: TerraformResource, { key }) => {
            seen.push(`${r.address} ${key}`);
            return { address: String(r.values.private_ip), system: r.tags.HiveSystem ?? 'www' };
          },
        }),
      ],
    }),
  );
  assert.deepEqual(lines, []);
  assert.deepEqual(seen, [
    'aws_instance.www www',
    'aws_instance.web[0] web-0',
    'aws_instance.web[1] web-1',
    'aws_instance.edge["eu-west-1a"] edge-eu-west-1a',
    'module.db.aws_instance.www db-www',
    'module.db.module.replica.aws_instance.www[0] db-replica-www-0',
  ]);
  assert.equal(Object.keys(hive.instances).length, 6);
});
