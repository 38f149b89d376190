// `nix-hive` with no arguments prints its help (the commands), not commander's `(outputHelp)` token, and exits 2.
// The CLI's main() in this process (its output captured); the bin's own start is proved by entry-points.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runInProcess } from '../helpers/cli.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('no arguments: the help with every command, no (outputHelp), exit 2', async () => {
  const r = await runInProcess(ROOT, []);
  const all = r.stdout + r.stderr;
  assert.doesNotMatch(all, /outputHelp/);
  assert.match(all, /^Usage: nix-hive \[options\] \[command\]/m);
  for (const cmd of ['deploy', 'plan', 'run', 'ssh', 'status'])
    assert.match(all, new RegExp(`^  ${cmd} `, 'm'));
  assert.equal(r.code, 2);
});
