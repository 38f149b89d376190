// Issue 9, item 4 on the real fleet: switch-to-configuration runs detached from the ssh session. While
// two slow activations run (the stub sleeps 6 s), the test kills every per-connection sshd on both hosts,
// so the deployer's connections drop. The deploy reconnects and still reports the true outcome: a
// switched and ok, b rolled back after the activation's own error (its old system and profile again).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet, FleetHost } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { cli, reportOf, systemLinks } from './support/seed-fleet.ts';
import {
  instanceOf,
  outcomes,
  wakeListenersUntil,
  sleep,
  sshdSessionPids,
  startCli,
  stubModule,
  writeStubHive,
} from './support/faults.ts';

let fleet: Fleet;
let env: Record<string, string>;

useFleet({ jump: 'both', a: 'public', b: 'internal' }, (u) => ({ fleet, env } = u));

/** Lines of the stub's activation log on the host (every switch-to-configuration call adds one). */
async function logLines(host: FleetHost): Promise<string[]> {
  const log = await host.exec(['cat', '/run/hive-activation.log']);
  return log.stdout.split('\n').filter((l) => l !== '');
}

/**
 * Waits until a switch-to-configuration beyond the first `seen` log lines has started on the host (it logs
 * before it sleeps); an earlier deploy's line does not count.
 */
async function activationStarted(host: FleetHost, seen: number, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if ((await logLines(host)).slice(seen).some((l) => / switch \/nix\/store\//.test(l))) return;
    await sleep(100);
  }
  throw new Error(`the activation on ${host.name} did not start`);
}

test('a dropped connection during activation: the deploy reconnects and reports the true outcome', async () => {
  const hive = (name: string, bSystem: string) =>
    writeStubHive(fleet, path.join(fleet.dir, name), {
      modules: {
        gate: stubModule(),
        slow: stubModule({ delay: 6, seed: 'slow' }),
        broken: stubModule({ delay: 6, fails: true, seed: 'broken' }),
      },
      instances: {
        jump: { system: 'gate', host: 'jump' },
        a: { system: 'slow', host: 'a' },
        b: { system: bSystem, host: 'b', via: 'jump' },
      },
    });
  // A first, working system on b, to see that the failed one does not replace it.
  const first = await cli(['deploy', '-c', await hive('first', 'gate'), 'jump', 'b'], env, 120_000);
  assert.equal(first.exitCode, 0, first.stderr);
  const dir = await hive('second', 'broken');
  const a = fleet.hosts.a!;
  const b = fleet.hosts.b!;
  const bBefore = await systemLinks(fleet, 'b');

  const seen = { a: (await logLines(a)).length, b: (await logLines(b)).length };
  const live = startCli(['deploy', '-c', dir, '--json', 'a', 'b'], env);
  await Promise.all([activationStarted(a, seen.a), activationStarted(b, seen.b)]);
  // The deployer is waiting for the outcome by now, blocked on a FIFO of its own that the switch's wrapper
  // pokes (no poll loop): one listener per host runs the wait.
  for (const h of [a, b])
    await wakeListenersUntil(
      h,
      (l) => l.some((x) => / nix-hive-wait /.test(x)),
      'no wait listens for a wake-up',
    );
  // Cut every ssh connection of a and b on the host side (the deployer's masters see them drop).
  const killed = [...sshdSessionPids(a), ...sshdSessionPids(b)];
  assert.ok(killed.length >= 2, 'each host had a session');
  for (const pid of killed) process.kill(pid, 'SIGKILL');
  const killedAt = Date.now();
  const r = await live.done;
  console.log(`activation: the deploy ended ${Date.now() - killedAt} ms after the connections were cut`);
  assert.equal(r.exitCode, 1, r.stderr);
  const report = reportOf(r);
  assert.deepEqual(outcomes(report), { a: 'ok', b: 'rolled-back' });

  // a: the detached switch finished, and the deploy learned it over a new connection.
  const slow = report.systems.slow.outPath as string;
  assert.deepEqual(await systemLinks(fleet, 'a'), { current: slow, profile: slow });
  const aLog = await readFile(path.join(report.logDir, 'a.log'), 'utf8');
  assert.match(aLog, /lost the connection while activating .*; reconnecting/);
  assert.match(aLog, /activating the configuration\.\.\./, 'the activation output was read back');

  // b: the activation's own failure, not a lost connection; the host returned to its old system.
  const reason = instanceOf(report, 'b').reason as string;
  assert.match(
    reason,
    /^switch-to-configuration switch exited with code 2: error: activating \/nix\/store\/\S+ failed \(hive.activationFails is set\); rolled back to \/nix\/store\/\S+$/,
  );
  // The profile was set before the switch; the rollback set it back too (see docs/safety.md).
  assert.deepEqual(await systemLinks(fleet, 'b'), bBefore);
  assert.match(bBefore.current, /nixos-system/);
  const bLog = await readFile(path.join(report.logDir, 'b.log'), 'utf8');
  assert.match(bLog, /lost the connection while activating/);
  // Every waiter ended and removed its FIFO, the ones whose connection was cut too (the watchdogs as well).
  for (const h of [a, b]) await wakeListenersUntil(h, (l) => l.length === 0, 'FIFOs left behind');
  console.log(`activation: b: ${reason}`);
});
