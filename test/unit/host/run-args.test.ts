// `nix-hive run` argument parsing through commander: patterns before `--`, the command after it, options anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { InputError } from '../../../lib/errors.ts';
import { registerRun, splitAtDashDash, type RunRequest } from '../../../lib/cli/commands/run.ts';

async function parse(argv: string[]): Promise<RunRequest> {
  let got: RunRequest | undefined;
  const program = new Command('nix-hive').exitOverride().configureOutput({ outputError: () => {} });
  registerRun(program, async (req) => {
    got = req;
  });
  await program.parseAsync(argv, { from: 'user' });
  assert.ok(got, 'the run action was not called');
  return got;
}

test('run @web -- uname -a', async () => {
  const req = await parse(['run', '@web', '--', 'uname', '-a']);
  assert.deepEqual(req.patterns, ['@web']);
  assert.deepEqual(req.command, ['uname', '-a']);
  assert.equal(req.parallel, 10);
  assert.equal(req.timeoutMs, undefined);
  assert.equal(req.mode, 'grouped');
});

test('options before or after the patterns; words after -- are never options', async () => {
  const req = await parse([
    'run',
    '--parallel',
    '3',
    '@web',
    'db-*',
    '--timeout',
    '1.5',
    '--',
    'echo',
    '--parallel',
    '--',
    '-n',
  ]);
  assert.deepEqual(req.patterns, ['@web', 'db-*']);
  assert.deepEqual(req.command, ['echo', '--parallel', '--', '-n']);
  assert.equal(req.parallel, 3);
  assert.equal(req.timeoutMs, 1500);
});

test('modes and flags', async () => {
  assert.equal((await parse(['run', '--json', 'a', '--', 'true'])).mode, 'json');
  assert.equal((await parse(['run', '--stream', 'a', '--', 'true'])).mode, 'stream');
  const req = await parse(['run', '--sudo', '--stdin', '-c', 'example', 'a', '--', 'true']);
  assert.equal(req.sudo, true);
  assert.equal(req.stdin, true);
});

test('hostile command words pass through untouched', async () => {
  const words = ['sh', '-c', 'echo "$1"; rm -rf /tmp/x', '--', "it's", '', '\n', '-rf'];
  assert.deepEqual((await parse(['run', 'a', '--', ...words])).command, words);
});

test('bad command lines are input errors naming the problem', async () => {
  const cases: Array<[string[], string]> = [
    [['run', 'a', 'uname'], 'command: put the command after --: nix-hive run <patterns…> -- <command…>'],
    [
      ['run', '--', 'uname'],
      "patterns: name the instances before -- (instance names, @tags, globs; '*' for all)",
    ],
    [['run', 'a', '--'], 'command: the command after -- is empty'],
    [['run', '--parallel', '0', 'a', '--', 'true'], '--parallel: must be a whole number ≥ 1, got "0"'],
    [['run', '--parallel', 'x', 'a', '--', 'true'], '--parallel: must be a whole number ≥ 1, got "x"'],
    [['run', '--timeout', '-1', 'a', '--', 'true'], '--timeout: must be a number of seconds > 0, got "-1"'],
    [['run', '--json', '--stream', 'a', '--', 'true'], '--stream: cannot be used with --json'],
  ];
  for (const [argv, message] of cases) {
    await assert.rejects(
      parse(argv),
      (e: unknown) => e instanceof InputError && e.message === message,
      argv.join(' '),
    );
  }
});

test('splitAtDashDash counts the words after the first --', () => {
  assert.deepEqual(splitAtDashDash(['a', 'b', 'x', '--', 'y'], ['run', 'a', 'b', '--', 'x', '--', 'y']), {
    before: ['a', 'b'],
    after: ['x', '--', 'y'],
  });
  assert.equal(splitAtDashDash(['a'], ['run', 'a']), null);
});
