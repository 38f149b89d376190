// Issue 9, items 1 and 7 on the real fleet: a host that vanishes (SYNs unanswered) fails within
// ConnectTimeout, a connection that stalls in the middle of a big copy is caught by ServerAlive, and a
// pinned host key that does not match stops that host with the expected fingerprint; every other host
// goes on. Three public hosts, no store; the deployer's uplink is shaped so a 40 MB copy takes seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { run } from './harness/proc.ts';
import { cli, reportOf } from './support/seed-fleet.ts';
import {
  freezeHost,
  instanceOf,
  outcomes,
  sleep,
  startCli,
  stubModule,
  writeStubHive,
  cliEnv,
} from './support/faults.ts';

let fleet: Fleet;
let env: Record<string, string>;
let home: string;

useFleet(
  { a: 'public', b: 'public', c: 'public' },
  async (u) => {
    fleet = u.fleet;
    home = path.join(fleet.dir, 'home');
    await mkdir(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
    env = cliEnv(fleet, home);
  },
  // 40 MB take about 8 s: a window to stall the connection in.
  { shapeUplinkMbit: 40 },
);

const small = stubModule();

test('a host whose SYNs go unanswered fails within ConnectTimeout; the others are deployed', async () => {
  const dir = await writeStubHive(fleet, path.join(fleet.dir, 'gone'), {
    modules: { small },
    instances: {
      a: { system: 'small', host: 'a' },
      b: { system: 'small', host: 'b' },
      c: { system: 'small', host: 'c' },
    },
  });
  const c = fleet.hosts.c!;
  // c drops every packet it would send to the deployer: the SYN arrives, the SYN-ACK never leaves.
  const hole = ['ip', 'route', 'add', 'blackhole', `${fleet.deployerAddress}/32`];
  assert.equal((await c.exec(hole)).exitCode, 0);
  try {
    const started = Date.now();
    const r = await cli(['deploy', '-c', dir, '--json', '--connect-timeout', '3', '*'], env, 60_000);
    const took = Date.now() - started;
    assert.equal(r.exitCode, 1, r.stderr);
    const report = reportOf(r);
    assert.deepEqual(outcomes(report), { a: 'ok', b: 'ok', c: 'failed' });
    const cEnd = r.events.find((e) => e.kind === 'step-end' && e.step === 'copy:small>c');
    assert.ok(cEnd, 'c has a copy step end');
    assert.match(cEnd.reason, /connection to c \(root@[0-9.]+:22\) timed out \(ConnectTimeout 3 s\)/);
    // ConnectTimeout is 3 s; without it the kernel retries SYNs for about two minutes. The bounds leave
    // room for a loaded CI machine (three fleet files at a time), far below those two minutes.
    assert.ok(cEnd.durationMs < 20_000, `c failed after ${Math.round(cEnd.durationMs)} ms`);
    assert.ok(took < 50_000, `the deploy took ${took} ms`);
    console.log(`unreachable: c failed after ${Math.round(cEnd.durationMs)} ms; the deploy took ${took} ms`);
  } finally {
    await c.exec(['ip', 'route', 'del', 'blackhole', `${fleet.deployerAddress}/32`]);
  }
});

test('a connection that stalls mid-copy is caught by ServerAlive; the other host is deployed', async () => {
  // b gets a 40 MB closure; its keepalive is shortened through its own ssh options (1 s × 2).
  const dir = await writeStubHive(fleet, path.join(fleet.dir, 'stall'), {
    modules: { small, big: stubModule({ payload: '40M', seed: `stall-${fleet.runId}` }) },
    instances: {
      a: { system: 'small', host: 'a' },
      b: { system: 'big', host: 'b', ssh: { ServerAliveInterval: 1, ServerAliveCountMax: 2 } },
    },
  });
  const b = fleet.hosts.b!;
  const before = (await b.exec(['readlink', '-f', '/run/current-system'])).stdout.trim();
  const started = Date.now();
  const live = startCli(['deploy', '-c', dir, '--json', 'a', 'b'], env);
  await live.waitForEvent((e) => e.kind === 'step-start' && e.step === 'copy:big>b');
  // Let bytes flow, then freeze every sshd of b (the listener and the session): the TCP connection
  // stays open and acknowledged by the kernel, but nothing answers any more.
  await sleep(2000);
  const stillCopying = !live.events.some((e) => e.kind === 'step-end' && e.step === 'copy:big>b');
  assert.ok(stillCopying, 'the copy was still running when b froze');
  const thaw = freezeHost(b);
  const frozenAt = Date.now();
  let end: Record<string, any>;
  try {
    end = await live.waitForEvent((e) => e.kind === 'step-end' && e.step === 'copy:big>b', 60_000);
  } finally {
    thaw();
  }
  const detectedMs = Date.now() - frozenAt;
  const r = await live.done;
  assert.equal(r.exitCode, 1, r.stderr);
  assert.equal(end.outcome, 'failed');
  assert.match(end.reason, /nix copy to b|connection to b/);
  // ServerAlive 1 s × 2: detected in a few seconds, long before the copy could have ended.
  assert.ok(detectedMs < 10_000, `detected ${detectedMs} ms after the freeze`);
  const report = reportOf(r);
  assert.deepEqual(outcomes(report), { a: 'ok', b: 'failed' });
  assert.match(instanceOf(report, 'b').reason, /b/);
  assert.equal((await b.exec(['readlink', '-f', '/run/current-system'])).stdout.trim(), before);
  console.log(
    `stall: detected ${detectedMs} ms after the freeze; the deploy took ${Date.now() - started} ms; b: ${end.reason}`,
  );
});

test('a pinned host key mismatch stops that host with the expected fingerprint, never accept-new', async () => {
  // c is pinned to a's key. The user's own config asks for accept-new: it must not win.
  await writeFile(
    path.join(home, '.ssh', 'config'),
    'Host *\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile ~/.ssh/known_hosts\n',
  );
  const wrong = fleet.hosts.a!.hostKey;
  const dir = await writeStubHive(fleet, path.join(fleet.dir, 'keys'), {
    modules: { small },
    instances: {
      a: { system: 'small', host: 'a' },
      b: { system: 'small', host: 'b' },
      c: { system: 'small', host: 'c', hostKeys: [wrong] },
    },
  });
  const keyFile = path.join(fleet.dir, 'wrong.pub');
  await writeFile(keyFile, `${wrong}\n`);
  const expected = (await run(['ssh-keygen', '-lf', keyFile])).stdout.split(' ')[1]!;
  const offeredFile = path.join(fleet.dir, 'c.pub');
  await writeFile(offeredFile, `${fleet.hosts.c!.hostKey}\n`);
  const offered = (await run(['ssh-keygen', '-lf', offeredFile])).stdout.split(' ')[1]!;
  assert.match(expected, /^SHA256:/);
  const c = fleet.hosts.c!;
  await c.exec(['rm', '-f', '/run/hive-activation.log']);
  try {
    const r = await cli(['deploy', '-c', dir, '--json', '*'], env, 60_000);
    assert.equal(r.exitCode, 1, r.stderr);
    const report = reportOf(r);
    assert.deepEqual(outcomes(report), { a: 'ok', b: 'ok', c: 'failed' });
    const reason = instanceOf(report, 'c').reason as string;
    assert.ok(
      reason.includes(`host key mismatch for c (root@${c.address}:22): expected ${expected} (ssh-ed25519)`),
      reason,
    );
    assert.ok(reason.includes(`the host offered ${offered}; not connecting`), reason);
    // Nothing ran on c and nothing learned its key.
    assert.notEqual((await c.exec(['test', '-e', '/run/hive-activation.log'])).exitCode, 0);
    const known = await readFile(path.join(home, '.ssh', 'known_hosts'), 'utf8').catch(() => '');
    assert.ok(!known.includes(c.hostKey.split(' ')[1]!), `c's key was written to known_hosts:\n${known}`);
    console.log(`host key: ${reason}`);
  } finally {
    await writeFile(path.join(home, '.ssh', 'config'), '');
  }
});
