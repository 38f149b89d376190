// `keygen` into a folder where no file can be made: one line naming --dir and the errno, exit 2, no stack
// trace, and no hang (an immutable folder, a folder under it, /proc).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.ts';

const BIN = fileURLToPath(new URL('../../bin/nix-hive.mjs', import.meta.url));

function keygen(dir: string) {
  const r = spawnSync(process.execPath, [BIN, 'keygen', '-d', dir], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

test('keygen -d <unwritable>: exit 2 and one line naming --dir and the errno', (t) => {
  const dir = path.join(tempDir('nix-hive-keygen-'), 'keys');
  mkdirSync(dir);
  if (spawnSync('chattr', ['+i', dir]).status !== 0) return t.skip('chattr +i is not supported here');
  try {
    for (const target of [dir, path.join(dir, 'sub')]) {
      const r = keygen(target);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(
        r.stderr,
        `nix-hive: --dir: cannot write key files in ${target}: EPERM: operation not permitted\n`,
      );
    }
  } finally {
    spawnSync('chattr', ['-i', dir]);
  }
});

test('keygen -d /proc ends at once with one line', () => {
  const r = keygen('/proc');
  assert.equal(r.signal, null, 'it did not hang');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^nix-hive: --dir: cannot write key files in \/proc: E[A-Z]+: [^\n]+\n$/);
});
