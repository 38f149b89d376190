// bench/import.ts imports 5,000 instances from a terraform output correctly (the timing is the benchmark's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { benchImport, terraformOutput } from '../../../../bench/import.ts';

const benchFolders = () => readdirSync(os.tmpdir()).filter((n) => n.startsWith('nix-hive-bench-import-'));

test('benchImport: 5,000 web instances and their gateway, no problems, its temp folder removed', async () => {
  const before = benchFolders();
  const r = await benchImport();
  assert.equal(r.instances, 5001);
  assert.ok(r.ms > 0, `a timed import takes time: ${r.ms}`);
  assert.deepEqual(benchFolders(), before);
});

test('the benchmark input is a realistic terraform output with a sensitive value', () => {
  const out = JSON.parse(terraformOutput(3));
  assert.deepEqual(Object.keys(out), ['gw', 'web', 'vpc_id', 'db_password']);
  assert.equal(out.db_password.sensitive, true);
  assert.deepEqual(out.web.value[2], {
    name: 'www-2',
    address: '10.0.0.2',
    system: 'www',
    via: 'gw',
    store: 'gw',
    tags: ['web', 'rack-2'],
  });
});
