// Host verbs over a fake spawner: the exact ssh argv (quoted once, sudo for non-root), results, typed ssh failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSshSession } from '../../../lib/ssh/session.ts';
import { SshError } from '../../../lib/errors.ts';
import { Host, asRoot, currentSystemArgv, hostsOf, parseCurrentSystem } from '../../../lib/host/host.ts';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixtureHive } from '../ssh/hive-fixture.ts';
import { fakeSpawn, sshAnswers } from '../ssh/fake-spawn.ts';

test('sshArgv quotes the command once, and only non-root users get sudo', async () => {
  const { spawn } = fakeSpawn(sshAnswers());
  const s = await openSshSession(fixtureHive(), { spawn });
  try {
    const hosts = hostsOf(s);
    const portico = hosts.get('portico')!;
    const www = hosts.get('www-1')!;
    assert.deepEqual(portico.sshArgv(['echo', "it's $HOME"], { root: true }), [
      '-F',
      s.configFile,
      '-T',
      '--',
      'portico',
      `'echo' 'it'\\''s $HOME'`,
    ]);
    assert.deepEqual(
      www.sshArgv(['systemctl', 'restart', 'caddy'], { root: true }).at(-1),
      "'sudo' -n -- systemctl restart caddy",
    );
    assert.deepEqual(asRoot('root', ['id']), ['id']);
  } finally {
    await s.close();
  }
});

test('run connects first, keeps stdin off the terminal, and returns non-zero exits as results', async () => {
  const { spawn, calls } = fakeSpawn(sshAnswers(() => ({ exitCode: 3, stdout: 'out\n' })));
  const s = await openSshSession(fixtureHive(), { spawn });
  try {
    const r = await new Host(s.hive.instances['www-1']!, s).run(['false']);
    assert.equal(r.exitCode, 3);
    const masters = calls.filter((c) => c.args.includes('-N')).map((c) => c.args.at(-1));
    assert.deepEqual(masters, ['portico', 'www-1']);
    assert.equal(calls.at(-1)!.options?.stdin, 'ignore');
    await new Host(s.hive.instances['www-1']!, s).run(['cat'], { input: 'data' });
    assert.equal(calls.at(-1)!.options?.input, 'data');
  } finally {
    await s.close();
  }
});

test("ssh's own failure during a command is an SshError, not a result", async () => {
  const { spawn } = fakeSpawn(
    sshAnswers(() => ({ exitCode: 255, stderr: 'Timeout, server 10.0.0.11 not responding.\n' })),
  );
  const s = await openSshSession(fixtureHive(), { spawn });
  try {
    await assert.rejects(
      hostsOf(s).get('www-1')!.run(['sleep', '100']),
      (e: unknown) => e instanceof SshError && e.kind === 'connection-lost' && e.instance === 'www-1',
    );
  } finally {
    await s.close();
  }
});

test('currentSystem: one command, whose script really reads both links (null when absent)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nh-links-'));
  try {
    const target = path.join(dir, 'nixos-system');
    mkdirSync(target);
    symlinkSync(target, path.join(dir, 'current'));
    symlinkSync(path.join(dir, 'gone'), path.join(dir, 'profile'));
    const argv = currentSystemArgv([path.join(dir, 'current'), path.join(dir, 'profile')]);
    const out = execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    assert.deepEqual(parseCurrentSystem(out), { current: target, profile: null });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const { spawn, calls } = fakeSpawn(
    sshAnswers((call) =>
      call.args.at(-1)!.includes('readlink') ? { stdout: '/nix/store/abc-nixos-system\n\n' } : {},
    ),
  );
  const s = await openSshSession(fixtureHive(), { spawn });
  try {
    assert.deepEqual(await hostsOf(s).get('portico')!.currentSystem(), {
      current: '/nix/store/abc-nixos-system',
      profile: null,
    });
    assert.equal(calls.filter((c) => c.args.at(-1)!.includes('readlink')).length, 1);
    assert.equal(await hostsOf(s).get('portico')!.check(), true);
  } finally {
    await s.close();
  }
});

test('exit 255 with the master gone is a lost connection; with the master up it is the remote exit code', async () => {
  let masterUp = false;
  let socket: Server | undefined;
  const { spawn, calls } = fakeSpawn((call) => {
    if (call.args.includes('check')) return { exitCode: masterUp ? 0 : 255 };
    if (call.args.includes('-N')) return {};
    return { exitCode: 255, stderr: '' };
  });
  const s = await openSshSession(fixtureHive(), { spawn });
  try {
    const host = hostsOf(s).get('www-1')!;
    await assert.rejects(
      host.run(['reboot']),
      (e: unknown) =>
        e instanceof SshError &&
        e.kind === 'connection-lost' &&
        e.message === 'connection to www-1 (deploy@10.0.0.11:22 via portico) was lost',
    );
    // The master is up again (ssh reopened it: ControlMaster auto), its socket in the session's folder.
    masterUp = true;
    socket = createServer().listen(path.join(s.dir, 'www-1'));
    await once(socket, 'listening');
    assert.equal((await host.run(['exit-255-on-purpose'])).exitCode, 255);
    // After the loss, connect checked the master again before the command.
    const last = calls.map((c) => c.args.at(-1)).lastIndexOf("'exit-255-on-purpose'");
    assert.deepEqual(calls[last - 1]!.args.slice(-4), ['-O', 'check', '--', 'www-1']);
  } finally {
    socket?.close();
    await s.close();
  }
});
