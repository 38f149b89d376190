// `keygen` into a folder where no file can be made: one line naming --dir and the errno, exit 2, no stack
// trace, and no hang (an immutable folder, a folder under it, /proc). Through the compiled CLI, loaded as
// the bin loads it: every case in one process, started once for the file (a batch that hangs is killed and
// its cases fail).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { runCompiled } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const dir = path.join(tempDir('nix-hive-keygen-'), 'keys');
mkdirSync(dir);
const immutable = spawnSync('chattr', ['+i', dir]).status === 0;
const unwritable = immutable ? [dir, path.join(dir, 'sub')] : [];
const batch = runCompiled(
  [...unwritable, '/proc'].map((d) => ({ cwd: process.cwd(), args: ['keygen', '-d', d] })),
  {},
  { timeout: 60_000 },
);
// The folder is made writable again as soon as the batch ends (tempDir's hook then removes it); each test
// awaits the batch, so a rejection here is not unhandled.
batch.catch(() => {}).finally(() => immutable && spawnSync('chattr', ['-i', dir]));

test('keygen -d <unwritable>: exit 2 and one line naming --dir and the errno', async (t) => {
  if (!immutable) return t.skip('chattr +i is not supported here');
  const results = (await batch).slice(0, unwritable.length);
  assert.equal(results.length, unwritable.length);
  unwritable.forEach((target, i) => {
    const r = results[i]!;
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      `nix-hive: --dir: cannot write key files in ${target}: EPERM: operation not permitted\n`,
    );
  });
});

test('keygen -d /proc ends at once with one line', async () => {
  const r = (await batch)[unwritable.length];
  assert.equal(r!.code, 2, r!.stderr);
  assert.match(r!.stderr, /^nix-hive: --dir: cannot write key files in \/proc: E[A-Z]+: [^\n]+\n$/);
});
