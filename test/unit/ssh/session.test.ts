// The ssh session: private short folder with the config files, masters opened jump first and once, closed once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { openSshSession } from '../../../lib/ssh/session.ts';
import { SshError } from '../../../lib/errors.ts';
import { fixtureHive, instance } from './hive-fixture.ts';
import { fakeSpawn, sshAnswers } from './fake-spawn.ts';

test('writes ssh_config and known_hosts (0600) in a private short folder', async () => {
  const { spawn } = fakeSpawn(sshAnswers());
  const s = await openSshSession(fixtureHive(), { spawn });
  try {
    assert.match(s.dir, /^\/[^\s]+\/nh-[A-Za-z0-9]{6}$/);
    assert.ok(s.dir.length <= 60);
    assert.equal(statSync(s.dir).mode & 0o777, 0o700);
    assert.equal(statSync(s.configFile).mode & 0o777, 0o600);
    assert.match(readFileSync(s.configFile, 'utf8'), new RegExp(`ControlPath ${s.dir}/www-1\\n`));
    assert.match(readFileSync(s.knownHostsFile, 'utf8'), /^portico ssh-ed25519 /);
    assert.equal(s.nixSshOpts, `-F ${s.dir}/ssh_config`);
    assert.deepEqual(s.sshArgs('www-1'), ['-F', s.configFile, '--', 'www-1']);
    assert.throws(() => s.sshArgs('nope'), /^InputError: instance: unknown instance "nope"$/);
  } finally {
    await s.close();
  }
});

test('connect opens the jump master first, and only once for many hosts behind it', async () => {
  const hive = fixtureHive([
    instance('jump'),
    instance('a', { via: 'jump' }),
    instance('b', { via: 'jump' }),
    instance('c', { via: 'a' }),
  ]);
  const opened: string[] = [];
  const { spawn, calls } = fakeSpawn(async (call) => {
    if (call.args.includes('-N')) {
      await new Promise((r) => setTimeout(r, 10));
      opened.push(call.args.at(-1)!);
      return {};
    }
    return sshAnswers()(call);
  });
  const s = await openSshSession(hive, { spawn });
  try {
    await Promise.all([s.connect('a'), s.connect('b'), s.connect('c'), s.connect('a')]);
    assert.equal(opened[0], 'jump');
    assert.deepEqual([...opened].sort(), ['a', 'b', 'c', 'jump']);
    assert.ok(opened.indexOf('a') < opened.indexOf('c'));
    const master = calls.find((c) => c.args.includes('-N'))!;
    assert.deepEqual(master.args, ['-F', s.configFile, '-o', 'ControlMaster=yes', '-N', '-f', '--', 'jump']);
  } finally {
    await s.close();
  }
});

test('a jump that cannot be reached fails the hosts behind it, naming the jump', async () => {
  const hive = fixtureHive([instance('jump'), instance('a', { via: 'jump' })]);
  const { spawn } = fakeSpawn((call) =>
    call.args.includes('-N') && call.args.at(-1) === 'jump'
      ? { exitCode: 255, stderr: 'ssh: connect to host jump.example.org port 22: Connection refused\n' }
      : sshAnswers()(call),
  );
  const s = await openSshSession(hive, { spawn });
  try {
    await assert.rejects(
      s.connect('a'),
      (e: unknown) =>
        e instanceof SshError &&
        e.kind === 'refused' &&
        e.instance === 'a' &&
        e.message === 'cannot reach a through jump: connection to jump (root@jump.example.org:22) refused',
    );
  } finally {
    await s.close();
  }
});

test('close is idempotent and removes the folder', async () => {
  const { spawn } = fakeSpawn(sshAnswers());
  const s = await openSshSession(fixtureHive(), { spawn });
  await Promise.all([s.close(), s.close()]);
  await s.close();
  assert.equal(existsSync(s.dir), false);
  await assert.rejects(s.connect('portico'), /closed/);
});

test('a bad inventory value leaves no folder behind', async () => {
  const { spawn } = fakeSpawn(sshAnswers());
  const hive = fixtureHive([instance('a', { ssh: { ControlPath: '/x' } })]);
  await assert.rejects(openSshSession(hive, { spawn, baseDir: '/tmp' }), /cannot be set here/);
});
