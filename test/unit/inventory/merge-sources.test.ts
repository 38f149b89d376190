import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeInstanceSources } from '../../../lib/inventory/load/merge-sources.ts';

test('merging sources keeps the first definition and names both sources of a duplicate', () => {
  const { instances, problems } = mergeInstanceSources([
    { source: 'hive.config.ts', instances: { portico: { system: 'gate', address: 'p' } } },
    { source: 'inventory/a.json', instances: { 'www-1': { system: 'www', address: 'a' } } },
    {
      source: 'inventory/b.json',
      instances: { 'www-1': { system: 'www', address: 'b' }, portico: { system: 'gate', address: 'q' } },
    },
  ]);
  assert.deepEqual(Object.keys(instances), ['portico', 'www-1']);
  assert.equal(instances['www-1']!.address, 'a');
  assert.deepEqual(problems, [
    { path: 'instances.www-1', message: 'defined twice: in inventory/a.json and in inventory/b.json' },
    { path: 'instances.portico', message: 'defined twice: in hive.config.ts and in inventory/b.json' },
  ]);
});
