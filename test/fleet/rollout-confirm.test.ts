// Confirmation on the real fleet: a switch that makes sshd stop accepting new connections is rolled back by
// the host itself within confirmTimeout plus a few seconds, and the deployer reports it; a healthy deploy
// whose copy (and switch) take longer than confirmTimeout is not rolled back, because the host's window
// opens only when the switch has ended; `nix-hive rollback` returns a host to its previous generation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { sshRun, type Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { cli, reportOf, systemLinks } from './support/seed-fleet.ts';
import { instanceOf, outcomes, sleep, stubModule } from './support/faults.ts';
import { hostProcesses, rolloutModule, writeCheckedHive } from './support/rollout.ts';

let fleet: Fleet;
let env: Record<string, string>;

// The uplink is shaped so that a 6 MiB closure takes several seconds to copy.
useFleet({ a: 'public', slow: 'public', 'www-1': 'public' }, (u) => ({ fleet, env } = u), {
  shapeUplinkMbit: 8,
});

const MODULES = {
  good: rolloutModule({ seed: 'good' }),
  good2: rolloutModule({ seed: 'good2' }),
  frozen: rolloutModule({ freezeSshd: true, seed: 'frozen' }),
  big: stubModule({ payload: '6M', seed: 'big', delay: 4 }),
};

const hive = (name: string, instances: Record<string, string>, confirmTimeout = 3) =>
  writeCheckedHive(fleet, name, {
    modules: MODULES,
    instances,
    checked: ['good'],
    defaults: { confirmTimeout },
  });

/** mtime in ms of a file on a host (the watchdog's status files say when things happened there). */
async function mtime(host: string, glob: string): Promise<number> {
  const r = await fleet.hosts[host]!.exec(['sh', '-c', `stat -c %.3Y ${glob}`]);
  assert.equal(r.exitCode, 0, `${glob} on ${host}: ${r.stderr}`);
  return Number(r.stdout.trim().split('\n').pop()) * 1000;
}

test('a switch that freezes sshd is rolled back by the host within confirmTimeout + a few seconds, and reported', async () => {
  const first = await cli(['deploy', '-c', await hive('a-good', { a: 'good' }), '--json'], env, 180_000);
  assert.equal(first.exitCode, 0, first.stderr);
  const good = reportOf(first).systems.good.outPath as string;

  const started = Date.now();
  const r = await cli(
    [
      'deploy',
      '-c',
      await hive('a-frozen', { a: 'frozen' }),
      '--json',
      '--confirm-timeout',
      '4',
      '--connect-timeout',
      '2',
    ],
    env,
    180_000,
  );
  assert.equal(r.exitCode, 1, r.stderr);
  const report = reportOf(r);
  assert.deepEqual(outcomes(report), { a: 'rolled-back' });
  assert.match(
    instanceOf(report, 'a').reason,
    /^no confirmation over a new ssh connection within 4s \(connection to a \(.*\) timed out .*\); the host rolled itself back; rolled back to \/nix\/store\//,
  );
  // The host decided alone: its rollback ended within the window (4 s) plus a few seconds after the switch. The
  // window may start again once, at the heartbeat the deployer sends when its first attempt is slow (0.8 s into
  // it here: confirm.ts), so the bound allows for the deployer learning of the switch and that heartbeat.
  const switched = await mtime('a', '/run/nix-hive/*-a.status');
  const rolled = await mtime('a', '/run/nix-hive/*-a.rollback.status');
  const took = (rolled - switched) / 1000;
  console.log(
    `confirm: the host rolled back ${took.toFixed(1)} s after its switch ended (window 4 s); deploy took ${(Date.now() - started) / 1000} s`,
  );
  assert.ok(took >= 4 && took < 4 + 8, `rolled back ${took} s after the switch`);
  assert.deepEqual(await systemLinks(fleet, 'a'), { current: good, profile: good });
  // Re-activating the old system thawed sshd: new connections work again; no watchdog is left.
  assert.equal((await sshRun(fleet, 'a', ['true'], { timeoutMs: 10_000 })).exitCode, 0);
  assert.deepEqual(await hostProcesses(fleet, 'a', 'nix-hive-watchdog'), []);
});

test('a healthy deploy whose copy and switch take longer than confirmTimeout is not rolled back', async () => {
  const dir = await hive('slow-big', { slow: 'big' }, 2);
  const r = await cli(['deploy', '-c', dir, '--json'], env, 300_000);
  assert.equal(r.exitCode, 0, r.stderr);
  const report = reportOf(r);
  assert.deepEqual(outcomes(report), { slow: 'ok' });
  const copy = report.steps.find((s: any) => s.id === 'copy:big>slow');
  const act = report.steps.find((s: any) => s.id === 'activate:slow');
  console.log(
    `confirm: copy ${(copy.durationMs / 1000).toFixed(1)} s, activation ${(act.durationMs / 1000).toFixed(1)} s, window 2 s`,
  );
  assert.ok(copy.durationMs > 2000 && act.durationMs > 2000, 'both outlast the window');
  const big = report.systems.big.outPath as string;
  // Still the new system after the window would long have ended, and the verdict was the deployer's.
  await sleep(3000);
  assert.deepEqual(await systemLinks(fleet, 'slow'), { current: big, profile: big });
  const verdict = await fleet.hosts.slow!.exec(['sh', '-c', 'readlink /run/nix-hive/*-slow.verdict']);
  assert.equal(verdict.stdout.trim(), 'confirmed');
});

test('nix-hive rollback www-1 returns it to its previous generation (and --to goes anywhere)', async () => {
  const d1 = await cli(['deploy', '-c', await hive('w1', { 'www-1': 'good' }), '--json'], env, 180_000);
  assert.equal(d1.exitCode, 0, d1.stderr);
  const d2 = await cli(['deploy', '-c', await hive('w2', { 'www-1': 'good2' }), '--json'], env, 180_000);
  assert.equal(d2.exitCode, 0, d2.stderr);
  const good = reportOf(d1).systems.good.outPath as string;
  const good2 = reportOf(d2).systems.good2.outPath as string;
  assert.deepEqual(await systemLinks(fleet, 'www-1'), { current: good2, profile: good2 });

  const dir = path.join(fleet.dir, 'w2');
  const r = await cli(['rollback', '-c', dir, 'www-1'], env, 120_000);
  // The table (and a failed row's reason) is on stdout.
  assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /www-1\s+rolled back\s+generation 1: /);
  assert.deepEqual(await systemLinks(fleet, 'www-1'), { current: good, profile: good });
  const link = await fleet.hosts['www-1']!.exec(['readlink', '/nix/var/nix/profiles/system']);
  assert.equal(link.stdout.trim(), 'system-1-link');

  const fwd = await cli(['rollback', '-c', dir, '--to', '2', 'www-1'], env, 120_000);
  assert.equal(fwd.exitCode, 0, `${fwd.stdout}\n${fwd.stderr}`);
  assert.deepEqual(await systemLinks(fleet, 'www-1'), { current: good2, profile: good2 });
  const none = await cli(['rollback', '-c', dir, '--to', '9', 'www-1'], env, 120_000);
  assert.equal(none.exitCode, 1);
  assert.match(none.stdout, /www-1\s+FAILED\s+generation 9 does not exist/);
});
