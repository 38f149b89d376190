// Issue 14 on the real fleet, when the host's rollback watchdog dies (killed) during the activation and the
// check then fails: the deployer must notice that at once rather than wait out its rollback limit (300 s),
// and the rollback must still happen: the deployer starts the watchdog again from what it was armed with.
// The host runs the old system again (current and profile), the outcome is rolled-back and names it, exit 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { cli, reportOf, systemLinks } from './support/seed-fleet.ts';
import { instanceOf, outcomes, sleep, startCli, stubModule } from './support/faults.ts';
import { hostProcesses, writeCheckedHive } from './support/rollout.ts';

let fleet: Fleet;
let env: Record<string, string>;

useFleet({ a: 'public' }, (u) => ({ fleet, env } = u));

const MODULES = {
  good: stubModule({ seed: 'good' }),
  // Slow to switch (time to kill the watchdog meanwhile), then unhealthy.
  bad: stubModule({ seed: 'bad', delay: 3, extra: '  hive.healthy = false;' }),
  // Slow to switch, then sshd accepts no new connection: it cannot be confirmed.
  frozen: stubModule({ seed: 'frozen', delay: 3, extra: '  hive.freezeSshd = true;' }),
};
/** Instance a running `system`, in a hive named after it. */
const hive = (system: keyof typeof MODULES) =>
  writeCheckedHive(fleet, system, {
    modules: MODULES,
    instances: { a: system },
    defaults: { confirmTimeout: 5 },
  });

/** Deploys `system`, kills the host's watchdog as soon as it is armed, and returns the run (bounded). */
async function deployKillingWatchdog(system: 'bad' | 'frozen') {
  // Watchdogs of earlier runs (one may still be ending) are not this run's.
  const ls = await fleet.hosts.a!.exec(['sh', '-c', 'ls /run/nix-hive 2> /dev/null || true']);
  const earlier = new Set(ls.stdout.split('\n').filter((f) => f.endsWith('.armed')));
  const live = startCli(['deploy', '-c', await hive(system), '--json'], env);
  let killed: number[] = [];
  for (let i = 0; i < 300 && killed.length === 0 && live.child.exitCode === null; i++) {
    // The watchdog itself (`sh -c … nix-hive-watchdog <folder> <id> …`), not the arm command or the setsid
    // that start it, once it is running (it wrote its pid).
    for (const line of await hostProcesses(fleet, 'a', 'nix-hive-watchdog /run/nix-hive ')) {
      const [pid, argv0] = line.split(' ');
      const id = line.split('nix-hive-watchdog /run/nix-hive ')[1]?.split(' ')[0];
      if (argv0 !== 'sh' || !id || earlier.has(`${id}.armed`)) continue;
      const written = await fleet.hosts.a!.exec(['cat', `/run/nix-hive/${id}.watchdog`]);
      if (written.stdout.trim() !== pid) continue;
      process.kill(Number(pid), 'SIGKILL');
      killed.push(Number(pid));
    }
    if (killed.length === 0) await sleep(100);
  }
  assert.ok(killed.length > 0, 'the watchdog was found and killed');
  // Bounded: far below the 300 s a rollback may take once it runs.
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), 60_000)));
  const r = await Promise.race([live.done, bound]).finally(() => clearTimeout(timer));
  if (r === 'timeout') {
    // Stopped as Ctrl-C would (it cleans up its session), killed only if that does not end it.
    live.child.kill('SIGTERM');
    const kill = setTimeout(() => live.child.kill('SIGKILL'), 20_000);
    await live.done.finally(() => clearTimeout(kill));
    assert.fail('the deployer was still waiting for a rollback 60 s later');
  }
  return r;
}

let good = '';

test('a killed watchdog is noticed at once and started again: the failing check still rolls the host back', async () => {
  const first = await cli(['deploy', '-c', await hive('good'), '--json'], env);
  assert.equal(first.exitCode, 0, first.stderr);
  good = reportOf(first).systems.good.outPath as string;

  const r = await deployKillingWatchdog('bad');
  assert.equal(r.exitCode, 1, r.stderr);
  const report = reportOf(r);
  assert.deepEqual(outcomes(report), { a: 'rolled-back' });
  const reason = instanceOf(report, 'a').reason as string;
  assert.match(
    reason,
    /^check health failed: exit 1; the watchdog was killed and started again; rolled back to /,
  );
  assert.ok(reason.endsWith(good), reason);
  // The truth on the host: the old system again, in the profile too, and no watchdog left.
  assert.deepEqual(await systemLinks(fleet, 'a'), { current: good, profile: good });
  assert.deepEqual(await hostProcesses(fleet, 'a', 'nix-hive-watchdog /run/nix-hive'), []);
});

test('a killed watchdog and a switch that cannot be confirmed: the deployer restarts it over the old connection', async () => {
  assert.ok(good, 'the first test deployed the good system');
  const r = await deployKillingWatchdog('frozen');
  assert.equal(r.exitCode, 1, r.stderr);
  const report = reportOf(r);
  assert.deepEqual(outcomes(report), { a: 'rolled-back' });
  const reason = instanceOf(report, 'a').reason as string;
  assert.match(
    reason,
    /^no confirmation over a new ssh connection within 5s .*; the watchdog was killed and started again; the host rolled itself back; rolled back to /,
  );
  assert.ok(reason.endsWith(good), reason);
  assert.deepEqual(await systemLinks(fleet, 'a'), { current: good, profile: good });
  // The old system thawed sshd: a new connection works again.
  const again = await cli(['run', '-c', path.join(fleet.dir, 'good'), 'a', '--', 'true'], env, 60_000);
  assert.equal(again.exitCode, 0, again.stderr);
});
