// The hive.state lock and the run id: a held lock refuses a second taker naming the holder's pid; a lock of a
// dead pid is taken over; release removes only our own lock; two runs in one second get different ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { StateError } from '../../../lib/errors.ts';
import { lockFileOf, lockState } from '../../../lib/state/lock.ts';
import { newRunId } from '../../../lib/deploy/deploy.ts';
import { tempDir } from '../../helpers/tmp.ts';

test('a held lock refuses a second taker at once, naming the holder; release frees it', async () => {
  const file = path.join(tempDir('nix-hive-lock-'), 'hive.state');
  const first = await lockState(file, 'run-a');
  await assert.rejects(
    lockState(file, 'run-b'),
    (e: unknown) =>
      e instanceof StateError &&
      e.message.startsWith(
        `${file} is locked by another deploy: pid ${process.pid} on ${hostname()} (run run-a,`,
      ),
  );
  await first.release();
  assert.equal(existsSync(lockFileOf(file)), false);
  const second = await lockState(file, 'run-b');
  assert.equal(JSON.parse(readFileSync(lockFileOf(file), 'utf8')).runId, 'run-b');
  await second.release();
  assert.deepEqual(readdirSync(path.dirname(file)), [], 'no lock or temp file is left');
});

test('a lock of a dead pid on this host is taken over; a live one elsewhere is not', async () => {
  const file = path.join(tempDir('nix-hive-lock-'), 'hive.state');
  const dead = spawnSync('true').pid!;
  writeFileSync(lockFileOf(file), JSON.stringify({ pid: dead, host: hostname(), runId: 'old', since: 'x' }));
  const taken = await lockState(file, 'new');
  assert.equal(JSON.parse(readFileSync(lockFileOf(file), 'utf8')).pid, process.pid);
  await taken.release();
  writeFileSync(
    lockFileOf(file),
    JSON.stringify({ pid: dead, host: 'another-host', runId: 'old', since: 'x' }),
  );
  await assert.rejects(lockState(file, 'new'), /locked by another deploy: pid \d+ on another-host/);
});

test('release leaves a lock that is no longer ours alone', async () => {
  const file = path.join(tempDir('nix-hive-lock-'), 'hive.state');
  const mine = await lockState(file, 'a');
  writeFileSync(lockFileOf(file), '{"pid": 1, "host": "x", "runId": "b", "since": "y"}');
  await mine.release();
  assert.equal(existsSync(lockFileOf(file)), true);
});

test('a missing folder is the fs error itself (the CLI names the flag)', async () => {
  const file = path.join(tempDir('nix-hive-lock-'), 'no', 'hive.state');
  await assert.rejects(lockState(file, 'a'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
});

test('runs started in the same second get different ids, each starting with the time', () => {
  const now = new Date('2026-11-25T20:54:07.123Z');
  const ids = Array.from({ length: 1000 }, () => newRunId(now));
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.ok(id.startsWith('20261125T205407Z'), id);
});
