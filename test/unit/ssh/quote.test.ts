// quoteArgv: exact text for simple cases, and a real round trip through `sh -c` (and bash, if present) for hostile argv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { quoteArgv, quoteWord } from '../../../lib/ssh/quote.ts';

test('plain words stay readable, the first word is always quoted', () => {
  assert.equal(quoteArgv(['uname', '-a']), "'uname' -a");
  assert.equal(
    quoteArgv(['nix-env', '-p', '/nix/var/nix/profiles/system']),
    "'nix-env' -p /nix/var/nix/profiles/system",
  );
  assert.equal(quoteArgv(['echo', '']), "'echo' ''");
});

test('metacharacters, quotes and tildes are single-quoted', () => {
  assert.equal(quoteWord("it's"), `'it'\\''s'`);
  assert.equal(quoteWord('$(reboot)'), `'$(reboot)'`);
  assert.equal(quoteWord('~root'), `'~root'`);
  assert.equal(quoteWord('a=b'), `'a=b'`);
  assert.equal(quoteWord('a b'), `'a b'`);
  assert.equal(quoteWord('*'), `'*'`);
});

test('rejects an empty argv and NUL bytes', () => {
  assert.throws(() => quoteArgv([]), /empty/);
  assert.throws(() => quoteArgv(['echo', 'a\0b']), /NUL/);
});

const hostile = [
  '',
  ' ',
  'a b',
  "it's",
  "''",
  '"double"',
  '\\',
  '\\\\n',
  '$HOME',
  '${IFS}',
  '$(touch /tmp/pwned)',
  '`touch /tmp/pwned`',
  '; rm -rf /',
  '&& reboot',
  '| cat /etc/shadow',
  '> /etc/passwd',
  '< /dev/zero',
  'line1\nline2',
  'trailing newline\n',
  '\ttab',
  '\r\n',
  '-rf',
  '--help',
  '-',
  '--',
  '*',
  '?',
  '[a-z]',
  '{a,b}',
  '~',
  '~root/x',
  'A=b',
  '#comment',
  '!',
  '!!',
  'héllo wörld ☃ 日本',
  '\u{1F600}',
  '%s%n',
  "'\"'\"'",
  'a\'b"c$d`e\\f',
];

/** Run `<shell> -c <quoted>` where the quoted command is coreutils printf writing each argument NUL-terminated. */
function roundTrip(shell: string, args: string[]): string[] {
  const line = quoteArgv(['/usr/bin/printf', '%s\\0', ...args]);
  const r = spawnSync(shell, ['-c', line], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\0').slice(0, -1);
}

/**
 * Each word alone as the only argument of its own command line (`printf` writes a record separator before it),
 * the lines run by one `<shell> -c` under `set -e`: one record per line, in order, or the shell failed.
 */
function eachAlone(shell: string, words: string[]): string[] {
  const lines = words.map((word) => quoteArgv(['/usr/bin/printf', '\\036%s\\0', word]));
  const r = spawnSync(shell, ['-c', ['set -e', ...lines].join('\n')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.startsWith('\x1e'), JSON.stringify(r.stdout));
  return r.stdout
    .slice(1)
    .split('\x1e')
    .map((record) => {
      assert.ok(record.endsWith('\0'), `one argument per line: ${JSON.stringify(record)}`);
      return record.slice(0, -1);
    });
}

for (const shell of ['/bin/sh', '/bin/bash', '/bin/dash', '/usr/bin/zsh']) {
  test(`hostile argv survives ${shell} -c unchanged`, { skip: !existsSync(shell) }, () => {
    assert.deepEqual(roundTrip(shell, hostile), hostile);
    assert.deepEqual(eachAlone(shell, hostile), hostile);
  });
}

test('a hostile first word is run as a command name, not parsed by the shell', () => {
  for (const first of ['A=b', 'if', 'then', '!', '{', '$(echo x)', 'a;b']) {
    const r = spawnSync('/bin/sh', ['-c', quoteArgv([first])], { encoding: 'utf8' });
    assert.equal(r.status, 127, `${first}: ${r.stderr}`);
  }
});
