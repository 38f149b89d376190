// `keygen` into a folder where no file can be made: one line naming --dir and the errno, exit 2, no stack
// trace, and no hang (an immutable folder, a folder under it, /proc). Through the compiled CLI, loaded as
// the bin loads it (one process per test; a batch that hangs is killed and fails).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { runCompiled } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const keygen = (...dirs: string[]) =>
  runCompiled(
    dirs.map((dir) => ({ cwd: process.cwd(), args: ['keygen', '-d', dir] })),
    {},
    { timeout: 60_000 },
  );

test('keygen -d <unwritable>: exit 2 and one line naming --dir and the errno', async (t) => {
  const dir = path.join(tempDir('nix-hive-keygen-'), 'keys');
  mkdirSync(dir);
  if (spawnSync('chattr', ['+i', dir]).status !== 0) return t.skip('chattr +i is not supported here');
  try {
    const targets = [dir, path.join(dir, 'sub')];
    const results = await keygen(...targets);
    assert.equal(results.length, targets.length);
    targets.forEach((target, i) => {
      const r = results[i]!;
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(
        r.stderr,
        `nix-hive: --dir: cannot write key files in ${target}: EPERM: operation not permitted\n`,
      );
    });
  } finally {
    spawnSync('chattr', ['-i', dir]);
  }
});

test('keygen -d /proc ends at once with one line', async () => {
  const [r] = await keygen('/proc');
  assert.equal(r!.code, 2, r!.stderr);
  assert.match(r!.stderr, /^nix-hive: --dir: cannot write key files in \/proc: E[A-Z]+: [^\n]+\n$/);
});
