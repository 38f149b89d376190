// Issue 9, item 5 on the real fleet: Ctrl-C. A first SIGINT starts no new step and lets the running
// activation finish; a second one ends the process within 5 s. Either way hive.state stays valid, no
// ssh ControlMaster, session folder or child process of the run is left, and the summary says what was
// interrupted. Activations are made slow (the stub sleeps) and serial (--parallel 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readState } from '../../lib/state/store.ts';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import {
  descendants,
  sessionSshProcesses,
  sleep,
  startCli,
  stubModule,
  writeStubHive,
} from './support/faults.ts';

let fleet: Fleet;
let env: Record<string, string>;

useFleet({ a: 'public', b: 'public', c: 'public' }, (u) => ({ fleet, env } = u));

/**
 * A test that stops the deployer mid-switch leaves that switch running on the host (detached, as it should),
 * holding switch-to-configuration's lock: the next test's switch there would be `busy` (exit 11, as on
 * NixOS). Each hive waits for the hosts' switches to end first.
 */
async function switchesEnded(): Promise<void> {
  const wait = 'mkdir -p /run/nixos && exec flock -w 90 /run/nixos/switch-to-configuration.lock true';
  for (const h of Object.values(fleet.hosts)) {
    const r = await h.exec(['sh', '-c', wait]);
    assert.equal(r.exitCode, 0, `a switch on ${h.name} still holds its lock: ${r.stderr}`);
  }
}

const hive = async (name: string, delay: number) => {
  await switchesEnded();
  return writeStubHive(fleet, path.join(fleet.dir, name), {
    modules: { slow: stubModule({ delay, seed: name }) },
    instances: {
      a: { system: 'slow', host: 'a' },
      b: { system: 'slow', host: 'b' },
      c: { system: 'slow', host: 'c' },
    },
  });
};

/** The run's private ssh folder, from the command line of an ssh process it started. */
async function sessionDirOf(pid: number): Promise<string> {
  for (let i = 0; i < 100; i++) {
    for (const child of descendants(pid)) {
      const argv = (() => {
        try {
          return readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0');
        } catch {
          return [];
        }
      })();
      const config = argv.find((a) => /^\/tmp\/nh-[A-Za-z0-9]{6}\/ssh_config$/.test(a));
      if (config) return path.dirname(config);
    }
    await sleep(50);
  }
  throw new Error('no ssh process of the run found');
}

/** The summary's row of an instance: [instance, system, outcome, time, reason…]. */
function row(stdout: string, instance: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith(`${instance} `));
  assert.ok(line, `no summary row for ${instance}:\n${stdout}`);
  return line.split(/\s{2,}/);
}

function assertNothingLeft(sessionDir: string, children: number[]): void {
  const ssh = sessionSshProcesses().filter((p) => p.cmd.includes(`${sessionDir}/`));
  assert.deepEqual(ssh, [], 'no ssh process of the run (ControlMaster, jump) is left');
  assert.equal(existsSync(sessionDir), false, `the session folder ${sessionDir} is gone`);
  const alive = children.filter((pid) => {
    if (!existsSync(`/proc/${pid}`)) return false;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  });
  assert.deepEqual(alive, [], 'no child process is left');
}

test('first Ctrl-C: no new step starts, the running activation finishes, the summary says the rest was interrupted', async () => {
  const dir = await hive('once', 4);
  const live = startCli(['deploy', '-c', dir, '--parallel', '1', 'a', 'b', 'c'], env);
  await live.waitForStderr(/start\s+activate a\b/);
  const sessionDir = await sessionDirOf(live.child.pid!);
  const children = descendants(live.child.pid!);
  live.child.kill('SIGINT');
  const t0 = Date.now();
  const r = await live.done;
  const took = Date.now() - t0;
  console.log(`first SIGINT: ended ${took} ms later (the running activation sleeps 4 s)`);
  assert.ok(took < 12_000, `ended ${took} ms after SIGINT (grace 10 s)`);
  assert.equal(r.exitCode, 130, r.stderr);
  assert.match(r.stderr, /SIGINT: starting no new steps; waiting up to 10s for running ones/);
  // a's activation was running: it was allowed to finish. b and c never started theirs.
  assert.equal(row(r.stdout, 'a')[2], 'ok', r.stdout);
  for (const n of ['b', 'c']) {
    const [, , outcome, , reason] = row(r.stdout, n);
    assert.equal(outcome, 'interrupted', r.stdout);
    assert.match(reason ?? '', /interrupted before it started/);
  }
  assert.match(r.stdout, /1 ok, 0 failed, 0 skipped, 2 interrupted/);
  assert.equal((await fleet.hosts.a!.exec(['readlink', '/run/current-system'])).exitCode, 0);
  for (const n of ['b', 'c'])
    assert.notEqual((await fleet.hosts[n]!.exec(['test', '-e', '/run/current-system'])).exitCode, 0);
  const state = await readState(path.join(dir, 'hive.state'));
  assert.equal(state.instances.a!.outcome, 'ok');
  assert.equal(state.instances.b!.outcome, 'interrupted');
  assertNothingLeft(sessionDir, children);
});

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  test(`second ${sig}: the process exits within 5 s, leaving a valid state and nothing running`, async () => {
    const dir = await hive(`twice-${sig}`, 30);
    const live = startCli(['deploy', '-c', dir, '--parallel', '1', 'a', 'b', 'c'], env);
    await live.waitForStderr(/start\s+activate a\b/);
    const sessionDir = await sessionDirOf(live.child.pid!);
    await sleep(500);
    live.child.kill(sig);
    await live.waitForStderr(new RegExp(`${sig}: starting no new steps`));
    await sleep(1000);
    const children = descendants(live.child.pid!);
    assert.ok(children.length > 0, 'the activation was waited for by a child process');
    live.child.kill(sig);
    const t0 = Date.now();
    const r = await live.done;
    const took = Date.now() - t0;
    console.log(`second ${sig}: exited ${took} ms later`);
    assert.ok(took < 5000, `exited ${took} ms after the second ${sig}`);
    assert.equal(r.exitCode, 130, r.stderr);
    assert.match(r.stderr, new RegExp(`${sig}: stopping running steps now`));
    assert.equal(row(r.stdout, 'a')[2], 'interrupted', r.stdout);
    for (const n of ['b', 'c']) assert.equal(row(r.stdout, n)[2], 'interrupted', r.stdout);
    assert.match(r.stdout, /0 ok, 0 failed, 0 skipped, 3 interrupted/);
    const state = await readState(path.join(dir, 'hive.state'));
    for (const n of ['a', 'b', 'c']) assert.equal(state.instances[n]!.outcome, 'interrupted');
    assertNothingLeft(sessionDir, children);
  });
}

test('one Ctrl-C and a step that outlasts the grace period: it is stopped after 10 s', async () => {
  const dir = await hive('grace', 30);
  const live = startCli(['deploy', '-c', dir, '--parallel', '1', 'a', 'b', 'c'], env);
  await live.waitForStderr(/start\s+activate a\b/);
  const sessionDir = await sessionDirOf(live.child.pid!);
  await sleep(500);
  const children = descendants(live.child.pid!);
  live.child.kill('SIGINT');
  const t0 = Date.now();
  const r = await live.done;
  const took = Date.now() - t0;
  console.log(`grace: exited ${took} ms after the only SIGINT`);
  assert.ok(took >= 9_500 && took < 15_000, `exited ${took} ms after SIGINT (grace 10 s)`);
  assert.equal(r.exitCode, 130, r.stderr);
  assert.equal(row(r.stdout, 'a')[2], 'interrupted', r.stdout);
  assert.match(r.stdout, /0 ok, 0 failed, 0 skipped, 3 interrupted/);
  const state = await readState(path.join(dir, 'hive.state'));
  assert.equal(state.instances.a!.outcome, 'interrupted');
  assertNothingLeft(sessionDir, children);
});
