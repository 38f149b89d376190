// The key upload's remote script, run for real under `sh` on a temp folder: files land with their owner,
// mode and exact bytes; unchanged keys keep their inode and mtime; a changed one is replaced; a broken
// stream leaves neither a partial destination nor a temp file behind; the number of processes it starts
// does not grow with the number of keys, and each file has its final mode before tar writes a byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  keyStream,
  parseUploadOutput,
  uploadKeysArgv,
  type KeyFrame,
} from '../../../lib/host/keys-script.ts';

const user = os.userInfo().username;
const group = spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim();

function run(input: Buffer, env: NodeJS.ProcessEnv = process.env) {
  const [cmd, ...args] = uploadKeysArgv();
  const r = spawnSync(cmd!, args, { input, env });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function withDir(fn: (dir: string) => void) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nix-hive-keys-unit-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const binary = Buffer.from([0, 1, 2, 10, 13, 255, 10, 0x24, 0x28, 0x60]);

function frames(dir: string): KeyFrame[] {
  return [
    { dest: `${dir}/a`, user, group, mode: '0600', content: Buffer.from('first secret\n') },
    { dest: `${dir}/new/deeper/b`, user, group, mode: '0440', content: binary },
    { dest: `${dir}/empty`, user, group, mode: '640', content: Buffer.alloc(0) },
  ];
}

test('writes each key with its owner, mode and exact bytes; makes missing folders 0750', () =>
  withDir((dir) => {
    const r = run(keyStream(frames(dir)));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      parseUploadOutput(r.stdout).map((o) => o.state),
      ['written', 'written', 'written'],
    );
    assert.equal(readFileSync(`${dir}/a`, 'utf8'), 'first secret\n');
    assert.deepEqual(readFileSync(`${dir}/new/deeper/b`), binary);
    assert.equal(readFileSync(`${dir}/empty`).length, 0);
    assert.equal(statSync(`${dir}/a`).mode & 0o7777, 0o600);
    assert.equal(statSync(`${dir}/new/deeper/b`).mode & 0o7777, 0o440);
    assert.equal(statSync(`${dir}/empty`).mode & 0o7777, 0o640);
    assert.equal(statSync(`${dir}/new/deeper`).mode & 0o7777, 0o750);
    assert.equal(statSync(`${dir}/new`).mode & 0o7777, 0o750, 'a parent the upload made too');
    assert.equal(statSync(`${dir}/a`).uid, os.userInfo().uid);
    assert.deepEqual(readdirSync(dir).sort(), ['a', 'empty', 'new']);
  }));

test('leaves unchanged keys alone (same inode and mtime) and replaces a changed one', () =>
  withDir((dir) => {
    assert.equal(run(keyStream(frames(dir))).code, 0);
    const before = statSync(`${dir}/a`);
    const beforeB = statSync(`${dir}/new/deeper/b`);
    const again = run(keyStream(frames(dir)));
    assert.deepEqual(
      parseUploadOutput(again.stdout).map((o) => o.state),
      ['unchanged', 'unchanged', 'unchanged'],
    );
    assert.equal(statSync(`${dir}/a`).ino, before.ino);
    assert.equal(statSync(`${dir}/a`).mtimeMs, before.mtimeMs);

    const changed = frames(dir);
    changed[0]!.content = Buffer.from('second secret\n');
    changed[1]!.mode = '0400';
    const r = run(keyStream(changed));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      parseUploadOutput(r.stdout).map((o) => o.state),
      ['written', 'written', 'unchanged'],
    );
    assert.equal(readFileSync(`${dir}/a`, 'utf8'), 'second secret\n');
    assert.notEqual(statSync(`${dir}/a`).ino, before.ino);
    assert.notEqual(statSync(`${dir}/new/deeper/b`).ino, beforeB.ino);
    assert.equal(statSync(`${dir}/new/deeper/b`).mode & 0o7777, 0o400);
  }));

test('a stream cut short leaves the old key in place and no temp file', () =>
  withDir((dir) => {
    const old = frames(dir);
    assert.equal(run(keyStream(old)).code, 0);
    const next = frames(dir);
    next[0]!.content = Buffer.alloc(100_000, 7);
    const full = keyStream(next);
    // Inside the first key's content: the headers and the archive's first header block arrived.
    const cut = full.subarray(0, full.indexOf(Buffer.from('\ntar\n')) + 5 + 512 + 2000);
    const r = run(cut);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /failed .*\/a: its content arrived incomplete/);
    assert.equal(readFileSync(`${dir}/a`, 'utf8'), 'first secret\n');
    assert.deepEqual(readdirSync(dir).sort(), ['a', 'empty', 'new']);
  }));

test('an unknown owner fails that key only; the others are still written', () =>
  withDir((dir) => {
    const keys = frames(dir);
    keys[0]!.user = 'no-such-user-nh';
    const r = run(keyStream(keys));
    assert.equal(r.code, 1);
    assert.deepEqual(
      parseUploadOutput(r.stdout).map((o) => o.state),
      ['failed', 'written', 'written'],
    );
    assert.deepEqual(readdirSync(dir).sort(), ['empty', 'new']);
  }));

test('staged: with stageMissingOwners a key of an unknown owner is written root:root with its mode', () =>
  withDir((dir) => {
    const keys = frames(dir);
    keys[0]!.user = 'no-such-user-nh';
    const r = run(keyStream(keys, { stageMissingOwners: true }));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      parseUploadOutput(r.stdout).map((o) => o.state),
      ['staged', 'written', 'written'],
    );
    assert.equal(readFileSync(`${dir}/a`, 'utf8'), 'first secret\n');
    assert.equal(statSync(`${dir}/a`).uid, 0);
    assert.equal(statSync(`${dir}/a`).gid, 0);
    assert.equal(statSync(`${dir}/a`).mode & 0o7777, 0o600);
  }));

/** A PATH whose tools log each start (and, for tar, the mode of each file it is about to fill) to `log`. */
function countingPath(dir: string, log: string): string {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  const tools = [
    'stat',
    'sha256sum',
    'mkdir',
    'chgrp',
    'chown',
    'chmod',
    'tar',
    'sync',
    'mv',
    'rm',
    'rmdir',
    'cat',
  ];
  for (const t of tools) {
    const real = spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).stdout.trim();
    const before =
      t === 'tar'
        ? `for f in "$@"; do case $f in *.nix-hive-keys.*) ${path.dirname(real)}/stat -c 'mode %a %n' "/$f" >>'${log}' 2>/dev/null ;; esac; done\n`
        : '';
    writeFileSync(path.join(bin, t), `#!/bin/sh\necho 'run ${t}' >>'${log}'\n${before}exec ${real} "$@"\n`);
    chmodSync(path.join(bin, t), 0o755);
  }
  return `${bin}:${process.env.PATH}`;
}

test('the processes it starts do not grow with the number of keys; modes are set before tar writes', () => {
  const starts = (n: number) => {
    let out: string[] = [];
    withDir((dir) => {
      const log = path.join(dir, 'log');
      const env = { ...process.env, PATH: countingPath(dir, log) };
      const keys = Array.from({ length: n }, (_, i) => ({
        dest: `${dir}/keys/k${i}`,
        user,
        group,
        mode: i % 2 ? '0640' : '0400',
        content: Buffer.from(`secret ${i}\n`),
      }));
      const r = run(keyStream(keys), env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(`${dir}/keys/k${n - 1}`, 'utf8'), `secret ${n - 1}\n`);
      const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
      const modes = lines.filter((l) => l.startsWith('mode '));
      assert.equal(modes.length, n, 'tar was asked to fill every key');
      for (const m of modes) {
        const [, mode, k] = /^mode (\d+) .*\/k(\d+)$/.exec(m) ?? [];
        assert.equal(mode, Number(k) % 2 ? '640' : '400', m);
      }
      out = lines.filter((l) => l.startsWith('run '));
      // The second upload leaves everything alone: no tar, no temp files.
      writeFileSync(log, '');
      const again = run(keyStream(keys), env);
      assert.equal(again.code, 0, again.stderr);
      assert.ok(parseUploadOutput(again.stdout).every((o) => o.state === 'unchanged'));
    });
    return out;
  };
  const few = starts(3);
  const many = starts(60);
  assert.deepEqual(many, few, 'the same processes for 60 keys as for 3');
  assert.ok(few.length <= 12, `${few.length} processes: ${few.join(', ')}`);
});

test('the stream refuses fields that would break its framing', () => {
  const k = { dest: '/run/keys/a b', user: 'root', group: 'root', mode: '0600', content: Buffer.from('x') };
  assert.throws(() => keyStream([k]), /invalid dest/);
  assert.throws(() => keyStream([{ ...k, dest: '/a', mode: '999' }]), /invalid mode/);
});
