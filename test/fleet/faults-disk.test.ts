// Issue 9, item 3 on the real fleet: a target whose /nix is full. d has a 12 MB tmpfs as /nix; after a
// small system is deployed, a 30 MB one cannot be copied: the copy fails with Nix's own message in the
// summary, and d's profile, its generations and /run/current-system stay as they were. e, with room,
// gets the same system in the same run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { cli, systemLinks } from './support/seed-fleet.ts';
import { stubModule, writeStubHive } from './support/faults.ts';

let fleet: Fleet;
let env: Record<string, string>;

useFleet({ d: { network: 'public', nixSize: '12m' }, e: 'public' }, (u) => ({ fleet, env } = u));

test('disk full on a target: Nix says so in the summary, the old system stays active', async () => {
  const dir = path.join(fleet.dir, 'hive');
  await writeStubHive(fleet, dir, {
    modules: { app: stubModule() },
    instances: { d: { system: 'app', host: 'd' }, e: { system: 'app', host: 'e' } },
  });
  const first = await cli(['deploy', '-c', dir, 'd'], env, 120_000);
  assert.equal(first.exitCode, 0, first.stderr + first.stdout);
  const before = await systemLinks(fleet, 'd');
  assert.match(before.current, /^\/nix\/store\/.*nixos-system/);
  const d = fleet.hosts.d!;
  const generations = async () => (await d.exec(['ls', '/nix/var/nix/profiles'])).stdout;
  const gensBefore = await generations();

  // The same system with a 30 MB payload: more than d's whole /nix.
  await writeFile(path.join(dir, 'app.nix'), stubModule({ payload: '30M', seed: `disk-${fleet.runId}` }));
  const r = await cli(['deploy', '-c', dir, 'd', 'e'], env, 180_000);
  assert.equal(r.exitCode, 1, r.stderr);
  // The summary (stdout) shows d failed at the copy, with Nix's own words.
  assert.match(r.stdout, /^d\s+app\s+failed\b.*nix copy to d/m, r.stdout);
  assert.match(r.stdout, /No space left on device|database or disk is full/, r.stdout);
  assert.match(r.stdout, /^e\s+app\s+ok\b/m, r.stdout);
  // Nothing on d moved.
  assert.deepEqual(await systemLinks(fleet, 'd'), before);
  assert.equal(await generations(), gensBefore, 'no new generation');
  assert.equal((await d.exec(['test', '-x', `${before.current}/bin/switch-to-configuration`])).exitCode, 0);
  const line = r.stdout.split('\n').find((l) => /No space left on device|disk is full/.test(l));
  console.log(`disk full: ${line?.trim()}`);
});
