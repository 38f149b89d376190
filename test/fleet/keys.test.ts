// Issue 13 on the real fleet: keys from text, a file and a command reach a host through ONE remote command
// with their content, owner, group and mode (checked with `stat` on the host); a second deploy leaves an
// unchanged key alone (same inode and mtime) and replaces a changed one; a failing source command fails
// that host before its activation while the other host is deployed; `upload-keys` restores emptied keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { run } from './harness/proc.ts';
import { cli, reportOf, REPO, systemLinks } from './support/seed-fleet.ts';
import { instanceOf, outcomes, stubModule } from './support/faults.ts';
import { readOnHost, sshSpy, statOnHost, writeKeysHive } from './support/keys-hive.ts';

let fleet: Fleet;
let env: Record<string, string>;
let spy: Awaited<ReturnType<typeof sshSpy>>;
let dir: string;

const threeKeys = {
  greeting: { text: 'hello from text\n', user: 'nobody', group: 'nogroup', mode: '0640' },
  db: { file: './db.key', path: '/root/secrets/db.key', mode: '0400' },
  api: {
    command: ['sh', '-c', 'printf "from-%s\\n" command'],
    destDir: '/run/app-keys',
    group: 'nogroup',
    mode: '0440',
  },
};

async function writeHive(o: { seed?: string; bKeys?: Record<string, unknown> } = {}) {
  return writeKeysHive(fleet, dir, {
    modules: { small: stubModule({ seed: o.seed ?? 'one' }) },
    instances: {
      a: { system: 'small', host: 'a', keys: threeKeys },
      b: { system: 'small', host: 'b', keys: o.bKeys ?? { token: { text: 'b-token' } } },
    },
  });
}

useFleet({ a: 'public', b: 'public' }, async (u) => {
  fleet = u.fleet;
  await mkdir(path.join(u.env.HOME!, '.ssh'), { recursive: true, mode: 0o700 });
  spy = await sshSpy(fleet.dir);
  env = { ...u.env, PATH: `${spy.bin}:${process.env.PATH}` };
  dir = path.join(fleet.dir, 'hive');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'db.key'), 'db-secret-v1\n');
  await writeHive();
});

test('three keys (text, file, command) arrive through one remote command with content, owner, group and mode', async () => {
  const r = await cli(['deploy', '-c', dir, '--json', 'a'], env);
  assert.equal(r.exitCode, 0, r.stderr + r.stdout.slice(-2000));
  const a = fleet.hosts.a!;
  const toA = (await spy.calls()).filter((c) => / -- a /.test(c));
  const uploads = toA.filter((c) => c.includes('nix-hive-keys'));
  assert.equal(uploads.length, 1, `one upload command to a, got:\n${uploads.join('\n')}`);
  // No key's content in any ssh argv.
  for (const c of toA) assert.ok(!/hello from text|db-secret|from-command/.test(c), c);

  assert.equal(await readOnHost(a, '/run/keys/greeting'), 'hello from text\n');
  assert.deepEqual(pick(await statOnHost(a, '/run/keys/greeting')), ['nobody', 'nogroup', '640']);
  assert.equal(await readOnHost(a, '/root/secrets/db.key'), 'db-secret-v1\n');
  assert.deepEqual(pick(await statOnHost(a, '/root/secrets/db.key')), ['root', 'root', '400']);
  assert.equal(await readOnHost(a, '/run/app-keys/api'), 'from-command\n');
  assert.deepEqual(pick(await statOnHost(a, '/run/app-keys/api')), ['root', 'nogroup', '440']);
  // Folders the upload made: 0750.
  assert.equal((await statOnHost(a, '/run/keys'))!.mode, '750');
  assert.equal((await statOnHost(a, '/root/secrets'))!.mode, '750');
  // The keys step ran before the activation, and the logs name keys and destinations only.
  const keysEnd = r.events.findIndex((e) => e.kind === 'step-end' && e.step === 'keys:a');
  const actStart = r.events.findIndex((e) => e.kind === 'step-start' && e.step === 'activate:a');
  assert.ok(keysEnd >= 0 && keysEnd < actStart, 'keys:a ended before activate:a started');
  const logs = r.events.filter((e) => e.kind === 'step-log' && e.step === 'keys:a').map((e) => e.line);
  assert.deepEqual(logs.sort(), [
    'key api → /run/app-keys/api: written',
    'key db → /root/secrets/db.key: written',
    'key greeting → /run/keys/greeting: written',
  ]);
});

test('a second deploy leaves unchanged keys alone (same inode and mtime) and replaces a changed one', async () => {
  const a = fleet.hosts.a!;
  const files = ['/run/keys/greeting', '/root/secrets/db.key', '/run/app-keys/api'];
  const before = await Promise.all(files.map((f) => statOnHost(a, f)));
  await writeFile(path.join(dir, 'db.key'), 'db-secret-v2\n');
  const r = await cli(['deploy', '-c', dir, '--json', 'a'], env);
  assert.equal(r.exitCode, 0, r.stderr);
  const after = await Promise.all(files.map((f) => statOnHost(a, f)));
  for (const i of [0, 2]) {
    assert.equal(after[i]!.inode, before[i]!.inode, `${files[i]} kept its inode`);
    assert.equal(after[i]!.mtime, before[i]!.mtime, `${files[i]} kept its mtime`);
  }
  assert.notEqual(after[1]!.inode, before[1]!.inode, 'the changed key is a new file');
  assert.equal(await readOnHost(a, '/root/secrets/db.key'), 'db-secret-v2\n');
  assert.equal(after[1]!.mode, '400');
  const logs = r.events.filter((e) => e.kind === 'step-log' && e.step === 'keys:a').map((e) => e.line);
  assert.ok(logs.includes('key greeting → /run/keys/greeting: unchanged'), logs.join('\n'));
});

test('a failing source command fails its host before activation; the other host is deployed; exit 1', async () => {
  assert.equal((await cli(['deploy', '-c', dir, '--json', 'a', 'b'], env)).exitCode, 0);
  const oldB = await systemLinks(fleet, 'b');
  await writeHive({
    seed: 'two',
    bKeys: {
      token: { text: 'b-token' },
      broken: { command: ['sh', '-c', 'echo "vault: permission denied for hive/b" >&2; exit 3'] },
    },
  });
  const r = await cli(['deploy', '-c', dir, '--json', 'a', 'b'], env);
  assert.equal(r.exitCode, 1, r.stderr);
  const report = reportOf(r);
  assert.deepEqual(outcomes(report), { a: 'ok', b: 'failed' });
  const b = instanceOf(report, 'b');
  assert.equal(b.step, 'keys:b');
  assert.match(b.reason, /key broken: command sh exited with code 3: vault: permission denied for hive\/b/);
  assert.deepEqual(await systemLinks(fleet, 'b'), oldB, "b's current system and profile are unchanged");
  assert.equal((await systemLinks(fleet, 'a')).current, report.systems.small.outPath);
  assert.notEqual(oldB.current, report.systems.small.outPath);
  assert.ok(!r.events.some((e) => e.kind === 'step-start' && e.step === 'activate:b'), 'b never activated');
  // b's good key was not half-delivered either: the upload never started.
  assert.ok(!r.events.some((e) => e.kind === 'step-log' && e.step === 'keys:b' && /token/.test(e.line)));
  await writeHive({ seed: 'two' });
});

test('upload-keys restores keys after /run/keys was emptied (bin and zx task)', async () => {
  const a = fleet.hosts.a!;
  for (const [i, argv] of [
    [process.execPath, path.join(REPO, 'bin/nix-hive.mjs'), 'upload-keys', '-c', dir, 'a'],
    [path.join(REPO, 'node_modules/.bin/zx'), path.join(REPO, 'tasks/upload-keys.mjs'), '-c', dir, 'a'],
  ].entries()) {
    await a.exec(['sh', '-c', 'rm -rf /run/keys/* /run/app-keys']);
    assert.equal(await statOnHost(a, '/run/keys/greeting'), undefined);
    const r = await run(argv, { env, timeoutMs: 120_000 });
    assert.equal(r.exitCode, 0, `${i}: ${r.stderr}`);
    assert.match(r.stdout, /^a\s+small\s+ok/m);
    assert.equal(await readOnHost(a, '/run/keys/greeting'), 'hello from text\n');
    assert.deepEqual(pick(await statOnHost(a, '/run/keys/greeting')), ['nobody', 'nogroup', '640']);
    assert.equal(await readOnHost(a, '/run/app-keys/api'), 'from-command\n');
  }
});

test('--no keys skips the upload', async () => {
  const a = fleet.hosts.a!;
  await a.exec(['rm', '-f', '/run/keys/greeting']);
  const r = await cli(['deploy', '-c', dir, '--json', '--no', 'keys', 'a'], env);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.ok(!r.events.some((e) => e.kind === 'step-start' && e.step === 'keys:a'));
  assert.equal(await statOnHost(a, '/run/keys/greeting'), undefined);
});

function pick(f: Awaited<ReturnType<typeof statOnHost>>) {
  assert.ok(f, 'the file exists');
  return [f.owner, f.group, f.mode];
}
