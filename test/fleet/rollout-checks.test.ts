// Health checks and rollback on the real fleet: a system whose check fails is rolled back on its host (the
// profile and /run/current-system are the old system again, no watchdog left), the outcome is rolled-back
// in the report, hive.state and the exit code; --no-rollback leaves the new system and says failed; an
// http check reaches a host behind the jump host through a forward; `nix-hive check` runs checks alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { cli, reportOf, systemLinks } from './support/seed-fleet.ts';
import { instanceOf, outcomes } from './support/faults.ts';
import { HEALTH_CHECK, hostProcesses, rolloutModule, writeRolloutHive } from './support/rollout.ts';

let fleet: Fleet;
let env: Record<string, string>;
const HTTP = {
  name: 'web',
  http: { port: 8080, path: '/current-system/health' },
  timeout: 3,
  retries: 2,
  interval: 0.5,
};

useFleet({ jump: 'both', 'www-1': 'internal' }, async (u) => {
  ({ fleet, env } = u);
  // A web server on www-1 serving /run/current-system (its health file among others), on the internal net only.
  const web = await fleet.hosts['www-1']!.exec([
    'sh',
    '-c',
    'setsid -f python3 -m http.server 8080 --bind 0.0.0.0 --directory /run < /dev/null > /dev/null 2>&1',
  ]);
  assert.equal(web.exitCode, 0, web.stderr);
  // Listening before any test runs (python's start-up takes seconds on a loaded machine).
  const listening = await fleet.hosts['www-1']!.exec([
    'bash',
    '-c',
    'for i in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/8080) 2> /dev/null && exit 0; sleep 0.1; done; exit 1',
  ]);
  assert.equal(listening.exitCode, 0, 'the web server on www-1 listens on 8080');
});

const hive = (name: string, system: 'good' | 'bad', checks: unknown[] = [HEALTH_CHECK]) =>
  writeRolloutHive(
    fleet,
    path.join(fleet.dir, name),
    {
      modules: {
        gate: rolloutModule(),
        good: rolloutModule({ seed: 'good' }),
        bad: rolloutModule({ healthy: false, seed: 'bad' }),
      },
      instances: {
        jump: { system: 'gate', host: 'jump' },
        'www-1': { system, host: 'www-1', via: 'jump' },
      },
    },
    { systems: { good: { checks }, bad: { checks } }, defaults: { confirmTimeout: 10 } },
  );

test('a failing check rolls the host back: old profile and current-system, outcome rolled-back, exit 1', async () => {
  const first = await cli(['deploy', '-c', await hive('good', 'good'), '--json'], env, 180_000);
  assert.equal(first.exitCode, 0, first.stderr);
  const good = reportOf(first).systems.good.outPath as string;
  assert.deepEqual(await systemLinks(fleet, 'www-1'), { current: good, profile: good });

  const dir = await hive('bad', 'bad');
  const r = await cli(['deploy', '-c', dir, '--json', 'www-1'], env, 180_000);
  assert.equal(r.exitCode, 1, r.stderr);
  const report = reportOf(r);
  assert.deepEqual(outcomes(report), { 'www-1': 'rolled-back' });
  const reason = instanceOf(report, 'www-1').reason as string;
  assert.match(reason, /^check health failed: exit 1; rolled back to \/nix\/store\/\S+-nixos-system/);
  assert.ok(reason.endsWith(good), reason);
  // The host runs the old system again, from its profile too; nothing of the rollback is left running.
  assert.deepEqual(await systemLinks(fleet, 'www-1'), { current: good, profile: good });
  assert.deepEqual(await hostProcesses(fleet, 'www-1', 'nix-hive-watchdog'), []);
  const log = await fleet.hosts['www-1']!.exec(['cat', '/run/hive-activation.log']);
  assert.match(
    log.stdout.trim().split('\n').at(-1)!,
    new RegExp(` switch ${good}$`),
    'the old system was switched to',
  );
  // hive.state counts it as not done (deploy --failed retargets it), the plain summary says so.
  const state = JSON.parse(await readFile(path.join(dir, 'hive.state'), 'utf8'));
  assert.equal(state.instances['www-1'].outcome, 'rolled-back');
  const plain = await cli(['deploy', '-c', dir, '--failed'], env, 180_000);
  assert.equal(plain.exitCode, 1);
  assert.match(plain.stdout, /www-1\s+bad\s+rolled-back\s+\S+\s+check health failed/);
  assert.match(plain.stdout, /0 ok, 0 failed, 1 rolled back, 0 skipped/);
});

test('--no-rollback: the failing system stays, the outcome is failed', async () => {
  const r = await cli(
    ['deploy', '-c', await hive('bad', 'bad'), '--json', '--no-rollback', 'www-1'],
    env,
    180_000,
  );
  assert.equal(r.exitCode, 1, r.stderr);
  const report = reportOf(r);
  assert.deepEqual(outcomes(report), { 'www-1': 'failed' });
  assert.match(instanceOf(report, 'www-1').reason, /^check health failed: exit 1$/);
  const bad = report.systems.bad.outPath as string;
  assert.deepEqual(await systemLinks(fleet, 'www-1'), { current: bad, profile: bad });
});

test('an http check reaches the host behind the jump host over a forward; nix-hive check runs checks alone', async () => {
  const dir = await hive('http', 'good', [HEALTH_CHECK, HTTP]);
  const r = await cli(['deploy', '-c', dir, '--json', 'www-1'], env, 180_000);
  assert.equal(r.exitCode, 0, r.stderr);
  const log = await readFile(path.join(reportOf(r).logDir, 'www-1.log'), 'utf8');
  assert.match(log, /check web on www-1: ok/);

  const ok = await cli(['check', '-c', dir, 'www-1'], env, 60_000);
  assert.equal(ok.exitCode, 0, ok.stderr);
  assert.match(ok.stdout, /www-1\s+health\s+ok/);
  assert.match(ok.stdout, /www-1\s+web\s+ok/);

  const broken = await hive('http-broken', 'good', [
    { ...HTTP, http: { port: 8080, path: '/nope' }, retries: 0 },
  ]);
  const bad = await cli(['check', '-c', broken, 'www-1'], env, 60_000);
  assert.equal(bad.exitCode, 1, bad.stderr);
  assert.match(
    bad.stdout,
    /www-1\s+web\s+FAILED\s+HTTP 404 from http:\/\/172\.\S+:8080\/nope \(expected 200\)/,
  );
});
