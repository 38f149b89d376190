// The signing key on stdin: the argv keeps the key out of argv and off disk, and its fixed `sh -c` wrapper
// really turns a spawned process's stdin (a socket, which `/dev/stdin` cannot open) into a pipe it can.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { signFromStdinArgv } from '../../../lib/nix/argv.ts';

test('the key file is /dev/stdin and the nix argv follows the fixed wrapper', () => {
  const argv = signFromStdinArgv('/nix/store/abc-sys');
  assert.equal(argv.command, 'sh');
  assert.deepEqual(argv.args.slice(0, 3), ['-c', 'cat | "$0" "$@"', 'nix']);
  assert.deepEqual(argv.args.slice(-4), ['--recursive', '--key-file', '/dev/stdin', '/nix/store/abc-sys']);
});

test('run for real: a program that opens /dev/stdin by path reads the key through the wrapper', () => {
  const [, wrapper] = signFromStdinArgv('/x').args;
  const reader = ['sh', '-c', 'test -p /dev/stdin && cat /dev/stdin'];
  const direct = spawnSync(reader[0]!, reader.slice(1), { input: 'hive-1:c2VjcmV0' });
  const wrapped = spawnSync('sh', ['-c', wrapper!, ...reader], { input: 'hive-1:c2VjcmV0' });
  assert.notEqual(direct.status, 0, 'without the wrapper, stdin is not a pipe');
  assert.equal(wrapped.status, 0, wrapped.stderr.toString());
  assert.equal(wrapped.stdout.toString(), 'hive-1:c2VjcmV0');
});
