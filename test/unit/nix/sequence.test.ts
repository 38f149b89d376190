// sequenceArgv runs under a real sh: each command in turn, split back per command, stopping at the first failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseSequence, sequenceArgv } from '../../../lib/nix/sequence.ts';

const run = (argv: string[]) => {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout };
};

test('commands run in order; output per command, even without a final newline', () => {
  const r = run(
    sequenceArgv([
      ['echo', 'a b'],
      ['printf', 'x'],
      ['printf', '%s\\n%s\\n', 'l1', 'l2'],
    ]),
  );
  assert.equal(r.code, 0);
  assert.deepEqual(parseSequence(r.stdout), { outputs: ['a b', 'x', 'l1\nl2'] });
});

test('the first failure stops the rest and says which and how', () => {
  const r = run(
    sequenceArgv([
      ['echo', 'armed'],
      ['sh', '-c', 'echo half; exit 3'],
      ['touch', '/nonexistent/never'],
    ]),
  );
  assert.equal(r.code, 3);
  assert.deepEqual(parseSequence(r.stdout), { outputs: ['armed', 'half'], failed: { index: 1, code: 3 } });
});

test('hostile words travel intact (quoted once, evaluated once)', () => {
  const words = ["it's", '$(touch /tmp/nix-hive-pwned)', '"; exit 9; "', '`id`', 'a\nb', '*'];
  const r = run(sequenceArgv([['printf', '%s|', ...words]]));
  assert.equal(r.code, 0);
  assert.equal(parseSequence(r.stdout).outputs[0], words.map((w) => `${w}|`).join(''));
});
