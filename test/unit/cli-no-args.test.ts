// `nix-hive` with no arguments prints its help (the commands), not commander's `(outputHelp)` token, and exits 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/nix-hive.mjs', import.meta.url));

test('no arguments: the help with every command, no (outputHelp), exit 2', () => {
  const r = spawnSync(process.execPath, [BIN], { encoding: 'utf8', timeout: 60_000 });
  const all = r.stdout + r.stderr;
  assert.doesNotMatch(all, /outputHelp/);
  assert.match(all, /^Usage: nix-hive \[options\] \[command\]/m);
  for (const cmd of ['deploy', 'plan', 'run', 'ssh', 'status'])
    assert.match(all, new RegExp(`^  ${cmd} `, 'm'));
  assert.equal(r.status, 2);
});
