// Issue 12, items 1, 4 and 12 off a terminal: the signal goes to the whole process group, as Ctrl-C and a
// closed terminal send it. `deploy` stops in order on SIGINT and SIGHUP (the running activation finishes);
// `run` reports `interrupted` with exit 130 and its remote commands are gone, and `--timeout` stops the
// remote command too; `ssh` on SIGHUP leaves no ControlMaster, `ssh -W` jump or session folder. Issue 22:
// `status` and `check` against a host that hangs stop on SIGINT with exit 130 and close their session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { freezeHost, sleep, stubModule, writeStubHive } from './support/faults.ts';
import { writeRolloutHive } from './support/rollout.ts';
import {
  activationStarted,
  assertAFinishedBInterrupted,
  assertNothingLeft,
  hostProcesses,
  nixHive,
  startGroup,
  until,
} from './support/process-group.ts';

let fleet: Fleet;
let env: Record<string, string>;
let runHive: string;

useFleet({ jump: 'both', a: 'public', b: 'public', x: 'internal' }, async (u) => {
  ({ fleet, env } = u);
  runHive = await writeStubHive(fleet, path.join(fleet.dir, 'run-hive'), {
    modules: { stub: stubModule() },
    instances: {
      jump: { system: 'stub', host: 'jump' },
      a: { system: 'stub', host: 'a' },
      x: { system: 'stub', host: 'x', via: 'jump' },
    },
  });
});

const remote = (host: string, re: RegExp) => hostProcesses(fleet.hosts[host]!, re);

for (const sig of ['SIGINT', 'SIGHUP'] as const) {
  test(`deploy, ${sig} to the process group: the running activation finishes, the rest is interrupted, exit 130`, async () => {
    const dir = await writeStubHive(fleet, path.join(fleet.dir, `deploy-${sig}`), {
      modules: { slow: stubModule({ delay: 4, seed: `deploy-${sig}` }) },
      instances: { a: { system: 'slow', host: 'a' }, b: { system: 'slow', host: 'b' } },
    });
    const run = startGroup(nixHive('deploy', '-c', dir, '--parallel', '1', 'a', 'b'), env);
    await activationStarted(fleet.hosts.a!);
    run.signal(sig);
    const r = await run.done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, new RegExp(`${sig}: starting no new steps`));
    await assertAFinishedBInterrupted(r.stdout, dir);
    await assertNothingLeft(run, dir);
  });

  test(`run, ${sig} to the process group: hosts are interrupted (exit 130), their remote commands are gone`, async () => {
    const run = startGroup(
      nixHive('run', '-c', runHive, 'a', 'x', '--', 'sh', '-c', 'sleep 37; echo never'),
      env,
    );
    await until(
      'both remote commands',
      // the command itself on each host (not only the shell around it)
      () => remote('a', /^sleep 37$/).length > 0 && remote('x', /^sleep 37$/).length > 0,
    );
    run.signal(sig);
    const r = await run.done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(
      r.stdout,
      /2 hosts: 0 ok, 0 failed, 0 unreachable, 2 interrupted/,
      `${r.stdout}\n${r.stderr}`,
    );
    assert.doesNotMatch(r.stdout, /unreachable:/);
    await until(
      'the remote commands to end',
      () => remote('a', /sleep 37/).length + remote('x', /sleep 37/).length === 0,
      8000,
    );
    await assertNothingLeft(run);
  });
}

test('run --timeout: the host fails as timed out and its remote command (a grandchild too) is gone', async () => {
  const run = startGroup(
    nixHive(
      'run',
      '-c',
      runHive,
      '--timeout',
      '1',
      'a',
      'x',
      '--',
      'sh',
      '-c',
      'sleep 41 & sleep 41; echo never',
    ),
    env,
  );
  const r = await run.done;
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /a\s+failed: timed out after 1 s/, r.stdout);
  assert.match(r.stdout, /x\s+failed: timed out after 1 s/, r.stdout);
  await until(
    'the remote commands to end',
    () => remote('a', /sleep 41/).length + remote('x', /sleep 41/).length === 0,
    8000,
  );
  await assertNothingLeft(run);
});

test('ssh through a jump host, SIGHUP to the process group: no ControlMaster, ssh -W or session folder left', async () => {
  const run = startGroup(nixHive('ssh', '-c', runHive, 'x', '--', 'sleep', '43'), env);
  await until('the remote command', () => remote('x', /sleep 43/).length > 0);
  assert.ok([...run.seen.dirs].length > 0, 'the run used an ssh session');
  run.signal('SIGHUP');
  const r = await run.done;
  assert.notEqual(r.code, 0);
  await assertNothingLeft(run);
});

test('status, SIGINT to the process group while a host hangs (sshd frozen): exit 130, no ssh or session left', async () => {
  const thaw = freezeHost(fleet.hosts.b!);
  try {
    const dir = await writeStubHive(fleet, path.join(fleet.dir, 'status-int'), {
      modules: { stub: stubModule() },
      instances: { b: { system: 'stub', host: 'b' } },
    });
    const run = startGroup(nixHive('status', '-c', dir, '--connect-timeout', '60'), env);
    await until('the ssh connection to b', () => run.seen.dirs.size > 0);
    await sleep(500);
    run.signal('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /SIGINT: starting no new steps/);
    await assertNothingLeft(run);
  } finally {
    thaw();
  }
});

test('check, SIGINT to the process group during a slow check: exit 130, no ssh or session left', async () => {
  const slow = { name: 'slow', cmd: ['sleep', '47'], timeout: 120, retries: 0, interval: 1 };
  const dir = await writeRolloutHive(
    fleet,
    path.join(fleet.dir, 'check-int'),
    {
      modules: { stub: stubModule() },
      instances: { jump: { system: 'stub', host: 'jump' }, x: { system: 'stub', host: 'x', via: 'jump' } },
    },
    { systems: { stub: { checks: [slow] } } },
  );
  const run = startGroup(nixHive('check', '-c', dir, 'x'), env);
  await until('the check on x', () => remote('x', /^sleep 47$/).length > 0);
  run.signal('SIGINT');
  const r = await run.done;
  assert.equal(r.code, 130, r.stderr);
  await assertNothingLeft(run);
});
