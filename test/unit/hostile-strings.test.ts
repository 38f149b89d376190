// Issue 9, item 8 (pure parts): hostile instance names, addresses, tags, module paths and remote commands.
// Names and addresses that could become ssh or nix options, or ssh_config lines, are rejected with one
// clear line; everything else travels as data: the remote command is one argv element built by the one
// quoting function (checked by running it through a real `sh -c`), and the ssh_config renderer refuses
// what validation would have refused, in case a caller skips validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveHive } from '../../lib/inventory/resolve/resolve.ts';
import type { HiveConfig } from '../../lib/inventory/types.ts';
import { Host } from '../../lib/host/host.ts';
import { startActivationArgv, waitActivationArgv } from '../../lib/nix/detached.ts';
import { quoteArgv } from '../../lib/ssh/quote.ts';
import { renderSshConfig } from '../../lib/ssh/config.ts';
import type { SshSession } from '../../lib/ssh/session.ts';
import { baseConfig, CONFIG_FILE, problemLines } from './inventory/fixtures.ts';
import { fixtureHive, instance } from './ssh/hive-fixture.ts';

/** Strings a shell, ssh or nix would treat specially. */
const HOSTILE = [
  '-oProxyCommand=touch /tmp/pwned',
  '--help',
  '-',
  'a b',
  "it's",
  '"quoted"',
  '$(touch pwned)',
  '`touch pwned`',
  '${IFS}x',
  'x;touch pwned',
  'x && touch pwned',
  'x | tee pwned',
  'x > pwned',
  'line\nProxyCommand touch pwned',
  'cr\rx',
  'tab\tx',
  '#comment',
  '*',
  '~root',
  'a=b',
  '%h%p',
  '..',
  '../etc',
  'ünïcode',
];

const NAME_RULE =
  'must start with a letter, digit or "_" and contain only letters, digits, ".", "_" and "-" (at most 63)';

test('every hostile instance name is rejected with one line naming it', () => {
  for (const bad of HOSTILE) {
    const c = baseConfig();
    c.instances![bad] = { system: 'www', address: '10.0.0.99' };
    const lines = problemLines(() => resolveHive(c, CONFIG_FILE));
    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.ok(
      lines[0]!.startsWith('instances') &&
        lines[0]!.endsWith(`: invalid name ${JSON.stringify(bad)}: ${NAME_RULE}`),
      `${JSON.stringify(bad)} → ${JSON.stringify(lines)}`,
    );
    for (const l of lines) assert.doesNotMatch(l, /\n/);
  }
});

test('every hostile tag and system name is rejected', () => {
  for (const bad of HOSTILE) {
    const c = baseConfig();
    c.instances!['www-1']!.tags = [bad];
    const lines = problemLines(() => resolveHive(c, CONFIG_FILE));
    assert.ok(
      lines.some((l) => l.startsWith('instances.www-1.tags[0]: invalid value ')),
      `${JSON.stringify(bad)} → ${JSON.stringify(lines)}`,
    );
    const s = baseConfig();
    s.systems![bad] = { modules: ['./x.nix'] };
    const sl = problemLines(() => resolveHive(s, CONFIG_FILE));
    assert.ok(
      sl.some((l) => l.includes(`invalid name ${JSON.stringify(bad)}`)),
      `${JSON.stringify(bad)} → ${JSON.stringify(sl)}`,
    );
  }
});

test('addresses that could be options, carry a user, or break a line are rejected', () => {
  const bad = HOSTILE.filter((h) => !['..', 'ünïcode', '*', '~root', 'a=b', '%h%p'].includes(h));
  for (const address of [...bad, 'root@10.0.0.1', '']) {
    const c = baseConfig();
    c.instances!['www-1']!.address = address;
    const lines = problemLines(() => resolveHive(c, CONFIG_FILE));
    assert.ok(
      lines.some((l) => l.startsWith('instances.www-1.address: ')),
      `${JSON.stringify(address)} → ${JSON.stringify(lines)}`,
    );
    assert.equal(lines.length, 1, JSON.stringify(lines));
  }
});

test('module paths with metacharacters are data: accepted unless they break a line', () => {
  const c: HiveConfig = baseConfig();
  c.systems!.www!.modules = ['./m $(touch pwned) `x` ;"\'.nix'];
  const h = resolveHive(c, CONFIG_FILE);
  assert.deepEqual(h.systems.www!.modules, ['/hive/m $(touch pwned) `x` ;"\'.nix']);
  c.systems!.www!.modules = ['./m.nix\n$(touch pwned)'];
  assert.deepEqual(
    problemLines(() => resolveHive(c, CONFIG_FILE)),
    ['systems.www.modules[0]: invalid value "./m.nix\\n$(touch pwned)": must not contain line breaks'],
  );
});

/** A session that only builds argv (Host.sshArgv is pure). */
function fakeSession(): SshSession {
  return { configArgs: ['-F', '/tmp/nh-test/ssh_config'] } as unknown as SshSession;
}

/** Runs a quoted command line through a real `sh -c` that prints each argument NUL-terminated. */
function throughShell(commandLine: string, cwd: string): string[] {
  const r = spawnSync('sh', ['-c', commandLine], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\0').slice(0, -1);
}

test('a remote command is one argv element after `--` and the instance name, quoted once', () => {
  for (const user of ['root', 'deploy']) {
    const host = new Host(instance('www-1', { user }), fakeSession(), async () => {
      throw new Error('no process in a unit test');
    });
    const argv = ['printf', '%s\\0', ...HOSTILE];
    const full = host.sshArgv(argv, { root: true });
    const dash = full.indexOf('--');
    assert.deepEqual(full.slice(0, dash), ['-F', '/tmp/nh-test/ssh_config', '-T']);
    assert.equal(full[dash + 1], 'www-1');
    assert.equal(full.length, dash + 3, 'the whole command is a single word for ssh');
    const expected = user === 'root' ? argv : ['sudo', '-n', '--', ...argv];
    assert.equal(full[dash + 2], quoteArgv(expected));
    if (user !== 'root') continue;
    // What the remote shell would run: exactly the argv, and no marker appears.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nh-hostile-'));
    try {
      assert.deepEqual(throughShell(full[dash + 2]!, dir), HOSTILE);
      assert.deepEqual(readdirSync(dir), [], 'nothing was created by a shell');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('the detached activation takes its data as positional arguments after a fixed script', () => {
  for (const path of HOSTILE.map((h) => `/nix/store/x-${h}`)) {
    for (const goal of ['switch', 'dry-activate'] as const) {
      const argv = startActivationArgv('run-1-www-1', path, goal);
      const i = argv.indexOf('nix-hive-start');
      assert.ok(i > 0);
      // after the name: the wrapper script, the folder, the id, the profile, the path, the goal, the flag
      assert.deepEqual(argv.slice(i + 2), [
        '/run/nix-hive',
        'run-1-www-1',
        '/nix/var/nix/profiles/system',
        path,
        goal,
        goal === 'switch' ? '1' : '0',
      ]);
      // The scripts (the word after -c, and the wrapper) contain none of the data.
      for (const script of [argv[argv.indexOf('-c') + 1]!, argv[i + 1]!]) {
        for (const h of HOSTILE.filter((x) => x.length > 3)) assert.ok(!script.includes(h), h);
      }
    }
  }
  for (const id of ['../x', 'a b', '$(x)', 'a\nb']) {
    assert.throws(() => startActivationArgv(id, '/nix/store/x', 'test'), /unsafe activation id/);
    assert.throws(() => waitActivationArgv(id, 5), /unsafe activation id/);
  }
});

test('the ssh_config renderer refuses what could inject options or lines, even unvalidated', () => {
  const render = (i: ReturnType<typeof instance>) =>
    renderSshConfig(fixtureHive([i]), { knownHostsFile: '/tmp/k', controlDir: '/tmp/c', userConfig: null });
  for (const address of ['-oProxyCommand=x', 'a\nProxyCommand x', '']) {
    assert.throws(() => render(instance('w', { address })), /cannot be used in an ssh_config/);
  }
  assert.throws(
    () => render(instance('w', { ssh: { IdentityFile: '/k\nProxyCommand touch pwned' } })),
    /must be one line of text/,
  );
  assert.throws(() => render(instance('w', { ssh: { 'Proxy Command': 'x' } })), /not an ssh_config option/);
  for (const key of ['Host', 'Match', 'Include', 'StrictHostKeyChecking']) {
    assert.throws(() => render(instance('w', { ssh: { [key]: 'x' } })), /cannot be set here/);
  }
  // UserKnownHostsFile is nix-hive's where a key is pinned; elsewhere it is the user's own (see seed-format.test.ts).
  const pinnedKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOm9pQW0P5uqrKNn1DkHqJ4b2FjM0Y2sW6b7Xn2nQ0pN';
  assert.throws(
    () => render(instance('w', { hostKeys: [pinnedKey], ssh: { UserKnownHostsFile: 'x' } })),
    /cannot be set here/,
  );
  // Spaces, quotes and % stay inside one value.
  const text = render(instance('w', { ssh: { IdentityFile: '/k "x" y' }, address: 'h%x' }));
  assert.match(text, /^ {2}HostName "h%%x"$|^ {2}HostName h%%x$/m);
  assert.match(text, /^ {2}IdentityFile \/k "x" y$/m);
});

test('a pinned host is checked strictly and never learns keys', () => {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOm9pQW0P5uqrKNn1DkHqJ4b2FjM0Y2sW6b7Xn2nQ0pN';
  const text = renderSshConfig(fixtureHive([instance('w', { hostKeys: [key] })]), {
    knownHostsFile: '/tmp/k',
    controlDir: '/tmp/c',
    userConfig: null,
  });
  assert.match(text, /^ {2}StrictHostKeyChecking yes$/m);
  assert.match(text, /^ {2}UpdateHostKeys no$/m);
  assert.match(text, /^ {2}ServerAliveInterval 10$/m);
  assert.match(text, /^ {2}ServerAliveCountMax 3$/m);
  assert.match(text, /^ {2}ConnectTimeout 10$/m);
  assert.match(text, /^ {2}BatchMode yes$/m);
});

const FORBIDDEN: Array<[RegExp, string]> = [
  [/no-check-sigs|NoCheckSigs|checkSigs\s*[:=]\s*false/, 'signature checks turned off'],
  [/require-sigs\s*=?\s*(false|0)/, 'require-sigs turned off'],
  [/accept-new|StrictHostKeyChecking[\s=]+(no|off)\b/, 'unknown host keys accepted'],
  [/UserKnownHostsFile[\s=]+\/dev\/null/, 'host keys forgotten'],
  [/shell:\s*true/, 'a shell'],
  [/\bexecSync\b|\bexecFile\b|\bspawnSync\b/, 'a second way to spawn'],
];

/** What in a source file switches a check off (or spawns outside lib/exec/spawn.ts). */
function violations(text: string, isSpawnModule: boolean): string[] {
  const out = FORBIDDEN.flatMap(([re, why]) => {
    const m = re.exec(text);
    return m ? [`${why}: ${m[0]}`] : [];
  });
  if (!isSpawnModule && /from 'node:child_process'|from 'execa'/.test(text))
    out.push('spawns processes outside lib/exec/spawn.ts');
  return out;
}

test('no check is switched off anywhere in lib/: signatures, host keys, shells', () => {
  const root = path.resolve(import.meta.dirname, '../../lib');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|mjs|js|nix)$/.test(e.name)) files.push(p);
    }
  };
  walk(root);
  assert.ok(files.length > 50, `${files.length} files`);
  const found = files.flatMap((f) =>
    violations(readFileSync(f, 'utf8'), f === path.join(root, 'exec', 'spawn.ts')).map(
      (v) => `${path.relative(root, f)}: ${v}`,
    ),
  );
  assert.deepEqual(found, []);
});

test('control: the scan catches what it is meant to catch', () => {
  assert.equal(violations("args.push('--no-check-sigs')", true).length, 1);
  assert.equal(violations("line('StrictHostKeyChecking', 'accept-new')", true).length, 1);
  assert.equal(violations("'-o', 'StrictHostKeyChecking=no'", true).length, 1);
  assert.equal(violations("execa('sh', ['-c', x], { shell: true })", true).length, 1);
  assert.equal(violations("import { spawn } from 'node:child_process';", false).length, 1);
  assert.deepEqual(violations("line('StrictHostKeyChecking', 'yes')", false), []);
});
