// Waves on the real fleet: 20 hosts, `--canary 1 --batch 5 --max-failed 1`, and a system whose check fails:
// exactly one host is activated and rolled back, the 19 others are skipped with the reason and never switch.
// `plan` shows the waves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { cli, reportOf, systemLinks } from './support/seed-fleet.ts';
import { HEALTH_CHECK, rolloutModule, writeRolloutHive } from './support/rollout.ts';

const HOSTS = Array.from({ length: 20 }, (_, i) => `h${String(i + 1).padStart(2, '0')}`);
let fleet: Fleet;
let env: Record<string, string>;

useFleet(Object.fromEntries(HOSTS.map((name) => [name, 'public' as const])), (u) => ({ fleet, env } = u));

const hive = (name: string, system: 'good' | 'bad') =>
  writeRolloutHive(
    fleet,
    path.join(fleet.dir, name),
    {
      modules: { good: rolloutModule({ seed: 'good' }), bad: rolloutModule({ healthy: false, seed: 'bad' }) },
      instances: Object.fromEntries(HOSTS.map((h) => [h, { system, host: h }])),
    },
    {
      systems: { good: { checks: [HEALTH_CHECK] }, bad: { checks: [{ ...HEALTH_CHECK, retries: 0 }] } },
      defaults: { confirmTimeout: 10 },
    },
  );

test('plan shows the waves', async () => {
  const r = await cli(
    ['plan', '-c', await hive('good', 'good'), '--canary', '1', '--batch', '5', '--max-failed', '1'],
    env,
    60_000,
  );
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /^waves: 5, stop after 1 failed or rolled-back host\(s\)$/m);
  assert.match(r.stdout, /^ {2}wave 1 \(canary\): h01$/m);
  assert.match(r.stdout, /^ {2}wave 2: h02 h03 h04 h05 h06$/m);
  assert.match(r.stdout, /^ {2}wave 5: h17 h18 h19 h20$/m);
  const pct = await cli(['plan', '-c', await hive('good', 'good'), '--batch', '25%'], env, 60_000);
  assert.match(pct.stdout, /^waves: 4, /m);
  const bad = await cli(['plan', '-c', await hive('good', 'good'), '--batch', '0%'], env, 60_000);
  assert.equal(bad.exitCode, 2);
  assert.equal(
    bad.stderr,
    'nix-hive: --batch: must be a whole number ≥ 1 or a percentage such as 20%, got "0%"\n',
  );
});

test('20 hosts, --canary 1 --batch 5 --max-failed 1, a failing check: one host rolled back, 19 skipped', async () => {
  const first = await cli(
    ['deploy', '-c', await hive('good', 'good'), '--json', '--parallel', '20'],
    env,
    300_000,
  );
  const notOk = (x: typeof first) =>
    JSON.stringify(
      reportOf(x).instances.filter((i: any) => i.outcome !== 'ok'),
      null,
      1,
    );
  assert.equal(first.exitCode, 0, notOk(first));
  const good = reportOf(first).systems.good.outPath as string;

  const r = await cli(
    [
      'deploy',
      '-c',
      await hive('bad', 'bad'),
      '--json',
      '--parallel',
      '20',
      '--canary',
      '1',
      '--batch',
      '5',
      '--max-failed',
      '1',
    ],
    env,
    300_000,
  );
  assert.equal(r.exitCode, 1, r.stderr);
  const report = reportOf(r);
  const byOutcome = (o: string) => report.instances.filter((i: any) => i.outcome === o);
  assert.deepEqual(
    byOutcome('rolled-back').map((i: any) => i.instance),
    ['h01'],
  );
  const skipped = byOutcome('skipped');
  assert.equal(skipped.length, 19);
  for (const i of skipped) assert.equal(i.reason, 'stopped after 1 failure', i.instance);
  // Only the canary ever switched to the bad system; every host runs the good one.
  const started = r.events
    .filter((e) => e.kind === 'step-start' && e.stepKind === 'activate')
    .map((e) => e.step);
  assert.deepEqual(started, ['activate:h01']);
  for (const h of HOSTS) {
    assert.deepEqual(await systemLinks(fleet, h), { current: good, profile: good }, h);
    const log = await fleet.hosts[h]!.exec(['cat', '/run/hive-activation.log']);
    const switches = log.stdout.trim().split('\n').length;
    assert.equal(switches, h === 'h01' ? 3 : 1, `${h}: ${log.stdout}`);
  }
});
