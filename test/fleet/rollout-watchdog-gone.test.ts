// Issue 14 on the real fleet, when the host's rollback watchdog dies (killed) during the activation and the
// check then fails: nobody is left on the host to roll it back, so the deployer must notice that at once
// rather than wait out its rollback limit (300 s), and say so: outcome failed (not rolled-back: the host runs
// the broken system), a reason naming the failed check and the missing watchdog, exit 1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startFleet, type Fleet } from './harness/fleet.ts';
import { cli, reportOf, systemLinks } from './support/seed-fleet.ts';
import { cliEnv, instanceOf, outcomes, sleep, startCli, stubModule } from './support/faults.ts';
import { HEALTH_CHECK, hostProcesses, writeRolloutHive } from './support/rollout.ts';

let fleet: Fleet;
let env: Record<string, string>;

before(async () => {
  fleet = await startFleet({ hosts: [{ name: 'a', network: 'public' }] });
  env = cliEnv(fleet);
});
after(() => fleet?.dispose());

const hive = (system: 'good' | 'bad') =>
  writeRolloutHive(
    fleet,
    path.join(fleet.dir, system),
    {
      modules: {
        good: stubModule({ seed: 'good' }),
        // Slow to switch (time to kill the watchdog meanwhile), then unhealthy.
        bad: stubModule({ seed: 'bad', delay: 3, extra: '  hive.healthy = false;' }),
      },
      instances: { a: { system, host: 'a' } },
    },
    {
      systems: { good: { checks: [HEALTH_CHECK] }, bad: { checks: [HEALTH_CHECK] } },
      defaults: { confirmTimeout: 5 },
    },
  );

test('a killed watchdog: the failing check is reported at once as not rolled back, not after 300 s', async () => {
  const first = await cli(['deploy', '-c', await hive('good'), '--json'], env);
  assert.equal(first.exitCode, 0, first.stderr);

  const live = startCli(['deploy', '-c', await hive('bad'), '--json'], env);
  // Kill the watchdog as soon as it is armed (the switch takes 3 s).
  let killed: number[] = [];
  for (let i = 0; i < 300 && killed.length === 0 && live.child.exitCode === null; i++) {
    // The watchdog itself ($0 nix-hive-watchdog, then its folder), not the arm command that names it.
    const found = await hostProcesses(fleet, 'a', 'nix-hive-watchdog /run/nix-hive');
    killed = found.map((line) => Number(line.split(' ')[0]));
    for (const pid of killed) process.kill(pid, 'SIGKILL');
    if (killed.length === 0) await sleep(100);
  }
  assert.ok(killed.length > 0, 'the watchdog was found and killed');
  // Bounded: far below the 300 s a rollback may take once it runs.
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), 60_000)));
  const r = await Promise.race([live.done, bound]).finally(() => clearTimeout(timer));
  if (r === 'timeout') {
    live.child.kill('SIGKILL');
    await live.done;
    assert.fail('the deployer was still waiting for a rollback 60 s later');
  }
  assert.equal(r.exitCode, 1, r.stderr);
  const report = reportOf(r);
  const bad = report.systems.bad.outPath as string;
  assert.deepEqual(outcomes(report), { a: 'failed' });
  const reason = instanceOf(report, 'a').reason as string;
  assert.match(reason, /^check health failed: exit 1; /);
  assert.match(reason, /watchdog/);
  assert.match(reason, /nothing rolled it back/);
  // The truth on the host: nobody rolled it back.
  assert.equal((await systemLinks(fleet, 'a')).current, bad);
});
