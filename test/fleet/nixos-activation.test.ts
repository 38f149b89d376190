// Activation on NixOS-like hosts (systemd as PID 1, units with NixOS's PATH): the switch runs under
// systemd-run and its status still comes back (before the fix the unit found no `mv`, the status file never
// appeared and every activation waited out its timeout); and with logind's KillUserProcesses, a switch that
// cuts the deployer's connection is still rolled back by the watchdog (before the fix the watchdog lived in
// the ssh session and died with it).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleet, type Fleet } from './harness/fleet.ts';
import { waitFor } from './harness/proc.ts';
import { cli, reportOf } from './support/seed-fleet.ts';
import {
  cliEnv,
  outcomes,
  sshdSessionPids,
  startCli,
  stubModule,
  wakeListenersUntil,
} from './support/faults.ts';
import { writeCheckedHive } from './support/rollout.ts';

let fleet: Fleet;
let env: Record<string, string>;

before(async () => {
  fleet = await startFleet({
    hosts: [
      { name: 'a', network: 'public', kind: 'nixos' },
      // logind kills what a session leaves behind, but never root's (KillExcludeUsers=root by default,
      // logind.conf(5)): the deploy logs in as `deploy` and uses sudo, whose Nix imports go through the
      // daemon, so `deploy` is a trusted user.
      {
        name: 'k',
        network: 'public',
        kind: 'nixos',
        killUserProcesses: true,
        users: ['deploy'],
        nixConf: 'trusted-users = root deploy',
      },
    ],
  });
  env = cliEnv(fleet);
});
after(() => fleet?.dispose());

const MODULES = {
  good: stubModule({ seed: 'good' }),
  // Switches for 5 s: time to see how the deployer waits for it.
  slow: stubModule({ seed: 'slow', delay: 5 }),
  // sshd accepts no new connection after this switch (the test then cuts the open ones).
  cut: stubModule({ seed: 'cut', extra: '  hive.freezeSshd = true;' }),
};

const hive = (name: string, instances: Record<string, string>, user = 'root') =>
  writeCheckedHive(fleet, name, {
    modules: MODULES,
    instances,
    checked: ['good'],
    defaults: { confirmTimeout: 5, user },
  });

const current = async (host: string) =>
  (await fleet.hosts[host]!.exec(['readlink', '/run/current-system'])).stdout.trim();

test('a switch under systemd-run reports back: the status is written under NixOS’s unit environment', async () => {
  const a = fleet.hosts.a!;
  const live = startCli(
    ['deploy', '-c', await hive('a-slow', { a: 'slow' }), '--json', '--activation-timeout', '90'],
    env,
  );
  // While the unit switches, the deployer's wait blocks on a FIFO of its own that the unit's wrapper pokes
  // (a poke lost to the unit's `$` expansion would leave the wait to its 90 s timeout: the deploy fails).
  await wakeListenersUntil(a, (l) => l.some((x) => / nix-hive-wait /.test(x)), 'no wait listens');
  const r = await live.done;
  assert.equal(r.exitCode, 0, `${r.stderr}\n${r.stdout.slice(-3000)}`);
  const report = reportOf(r);
  assert.deepEqual(outcomes(report), { a: 'ok' });
  assert.equal(await current('a'), report.systems.slow.outPath);
  await wakeListenersUntil(a, (l) => l.length === 0, 'FIFOs left behind');
  // It ran as a transient unit of the host's systemd, not in the ssh session.
  const journal = await fleet.hosts.a!.exec([
    'journalctl',
    '--no-pager',
    '-q',
    '-o',
    'cat',
    '-u',
    'nix-hive-activate-*',
  ]);
  assert.match(journal.stdout, /nix-hive-activate-/);
  // The watchdog ran as a unit too, and its script reached sh intact: systemd expands `$$` in a unit's
  // command line (systemd.service(5)), which made the pid it records `$`, so it was taken for dead.
  const pids = await fleet.hosts.a!.exec(['sh', '-c', 'cat /run/nix-hive/*.watchdog']);
  assert.match(pids.stdout, /^\d+\n$/);
});

test('KillUserProcesses=yes: when the connection breaks after the switch, the watchdog still rolls back', async () => {
  const first = await cli(
    ['deploy', '-c', await hive('k-good', { k: 'good' }, 'deploy'), '--json'],
    env,
    240_000,
  );
  assert.equal(first.exitCode, 0, `${first.stderr}\n${first.stdout.slice(-2500)}`);
  const good = reportOf(first).systems.good.outPath as string;
  assert.equal(await current('k'), good);
  const live = startCli(
    ['deploy', '-c', await hive('k-cut', { k: 'cut' }, 'deploy'), '--json', '--connect-timeout', '2'],
    env,
  );
  try {
    // The switch has ended (its output is read back after it) and sshd accepts no new connection: the
    // network breaks now, ending every ssh connection, so logind ends their sessions and what ran in them.
    await live.waitForEvent(
      (e) => e.kind === 'step-log' && /activating the configuration/.test(e.line ?? ''),
    );
    const k = fleet.hosts.k!;
    for (const pid of sshdSessionPids(k)) process.kill(pid, 'SIGKILL');
    // The host returns to the good system on its own (the watchdog's window is 5 s).
    await waitFor('k to run the good system again', async () => (await current('k')) === good, 90_000, 500);
    const status = await k.exec(['sh', '-c', 'cat /run/nix-hive/*.rollback.status']);
    assert.equal(status.stdout.trim(), '0', status.stderr);
  } finally {
    live.child.kill('SIGTERM');
    const hard = setTimeout(() => live.child.kill('SIGKILL'), 20_000);
    await live.done.finally(() => clearTimeout(hard));
  }
});

test('KillUserProcesses=yes: --reboot as a sudo user reboots the host through a timer unit of its own', async () => {
  const k = fleet.hosts.k!;
  const before = await k.bootId();
  const r = await cli(
    [
      'deploy',
      '-c',
      await hive('k-reboot', { k: 'good' }, 'deploy'),
      '--json',
      '--reboot',
      '--reboot-timeout',
      '90',
      'k',
    ],
    env,
    240_000,
  );
  assert.equal(r.exitCode, 0, `${r.stderr}\n${r.stdout.slice(-2500)}`);
  assert.deepEqual(outcomes(reportOf(r)), { k: 'ok' });
  assert.notEqual(await k.bootId(), before, 'k booted again');
  assert.ok((await k.powerCalls()).includes('reboot'), 'the reboot reached the container');
  // The reboot was the service manager's (a transient timer and service), not a process left in the login
  // session, which logind may end with it (KillUserProcesses). The journal is persistent (/var/log/journal).
  const units = await k.exec(['journalctl', '--no-pager', '-q', '-F', 'UNIT']);
  assert.match(units.stdout, /^nix-hive-reboot-\d+\.timer$/m, units.stdout + units.stderr);
});
