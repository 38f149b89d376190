// The one exit point (lib/cli/main.ts): every command outcome maps to the documented exit code, and `run`, the
// entry of the bin and the zx tasks, sets the process's exit code to what the command line ended with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitCode, run } from '../../../lib/cli/main.ts';

test('outcomes map to 0 ok, 1 failed, 2 bad input, 130 interrupted, 255 ssh; a child’s own code passes through', () => {
  assert.deepEqual(
    (['ok', 'failed', 'bad-input', 'interrupted', 'ssh'] as const).map(exitCode),
    [0, 1, 2, 130, 255],
  );
  for (const child of [0, 3, 129, 255]) assert.equal(exitCode({ child }), child);
});

/** `run(argv)` with stdout and stderr captured; the process's exit code it set, then restored. */
async function runCaptured(argv: string[]): Promise<{ returned: number; set: unknown; out: string }> {
  const saved = { exitCode: process.exitCode, out: process.stdout.write, err: process.stderr.write };
  let out = '';
  const capture = (s: string | Uint8Array) => ((out += String(s)), true);
  process.exitCode = undefined;
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    const returned = await run(argv);
    return { returned, set: process.exitCode, out };
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    process.exitCode = saved.exitCode;
  }
}

test('run sets the process exit code to the one the command line ended with', async () => {
  const version = await runCaptured(['--version']);
  assert.match(version.out, /^\d+\.\d+\.\d+\n$/);
  assert.deepEqual([version.returned, version.set], [0, 0]);
  const unknown = await runCaptured(['no-such-command']);
  assert.match(unknown.out, /^nix-hive: unknown command 'no-such-command'/);
  assert.deepEqual([unknown.returned, unknown.set], [2, 2]);
});
