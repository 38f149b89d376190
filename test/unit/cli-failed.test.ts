// `--failed` and the one validation path, through the real CLI with a recorded hive.state: `plan --failed` and
// `deploy --dry-run --failed` show only what failed; `deploy --failed www-1` says that www-1 did not fail and
// which did; `--dry-run` refuses what a real run refuses; `deploy --json` with nothing to do prints a report.
// A PATH shim records any nix or ssh call: none may happen. The cases run the CLI's main() in this process;
// a sample also runs through the compiled CLI (one process, loading it as the bin does), which must answer the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCompiled, runInProcess, type EnvEdit } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODULE = path.join(ROOT, 'test/fixtures/configs/valid/modules/web.nix');
const KEY = path.join(ROOT, 'test/fixtures/configs/valid/keys/hive.sec');
const work = tempDir('nix-hive-failed-cli-');
const marker = path.join(work, 'marker');
const shim = path.join(work, 'shim');
mkdirSync(shim);
for (const tool of ['nix', 'nix-build', 'nix-store', 'nix-env', 'ssh', 'scp']) {
  writeFileSync(path.join(shim, tool), `#!/bin/sh\necho "${tool} $*" >> '${marker}'\nexit 1\n`);
  chmodSync(path.join(shim, tool), 0o755);
}

function hiveDir(name: string, instances: Record<string, unknown>, state?: unknown): string {
  const dir = path.join(work, name);
  mkdirSync(dir);
  const config = { signingKey: KEY, systems: { www: { modules: [MODULE] } }, instances };
  // As data: what is checked here does not depend on the format (a .ts config costs a tsx import each run).
  writeFileSync(path.join(dir, 'hive.config.json'), JSON.stringify(config));
  if (state) writeFileSync(path.join(dir, 'hive.state'), JSON.stringify(state));
  return dir;
}

const P = '/nix/store/aaaa-nixos-system-www';
const entry = (outcome: string, extra: object = {}) => ({
  system: 'www',
  target: P,
  outcome,
  steps: {},
  runId: 'r1',
  at: 't',
  ...extra,
});
const fleet = hiveDir(
  'fleet',
  {
    portico: { system: 'www', address: '203.0.113.1' },
    'www-1': { system: 'www', address: '10.0.0.1', via: 'portico', store: 'portico' },
    'www-2': { system: 'www', address: '10.0.0.2', via: 'portico', store: 'portico' },
  },
  {
    version: 2,
    systems: {},
    instances: {
      portico: entry('skipped', { received: [P] }), // a store host that only received a copy
      'www-1': entry('ok', { targeted: true }),
      'www-2': entry('failed', { targeted: true, reason: 'copy refused' }),
    },
  },
);

const shimmed = (): EnvEdit => ({ PATH: `${shim}:${process.env.PATH}` });
const cli = (dir: string, args: string[]) => runInProcess(dir, args, shimmed());

const targetsLine = (out: string) => out.split('\n').find((l) => l.startsWith('targets:'));

test('plan --failed and deploy --dry-run --failed show only the instance that failed', async () => {
  for (const args of [
    ['plan', '--failed'],
    ['deploy', '--dry-run', '--failed'],
  ]) {
    const r = await cli(fleet, args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(targetsLine(r.stdout), 'targets: www-2', args.join(' '));
  }
  const all = await cli(fleet, ['plan']);
  assert.equal(targetsLine(all.stdout), 'targets: portico www-1 www-2');
});

test('deploy --failed www-1 says www-1 did not fail and names the one that did; nothing starts', async () => {
  for (const args of [
    ['deploy', '--failed', 'www-1'],
    ['deploy', '--dry-run', '--failed', 'www-1'],
  ]) {
    const r = await cli(fleet, args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /none of the selected instances failed in its last deploy; the ones that did: www-2/,
    );
    assert.doesNotMatch(r.stderr, /records no failed instance/);
  }
  const both = await cli(fleet, ['plan', '--failed', 'www-1', 'www-2']);
  assert.equal(targetsLine(both.stdout), 'targets: www-2');
  assert.match(both.stderr, /--failed: leaving out www-1: not failed in its last deploy/);
  assert.equal(existsSync(marker) ? readFileSync(marker, 'utf8') : '', '');
});

test('--dry-run and plan refuse what the real run refuses, with the same line', async () => {
  const cases: Array<[string[], string]> = [
    [['--parallel', '0'], 'nix-hive: --parallel: must be a whole number ≥ 1, got "0"'],
    [['--failed', '--no-state'], 'nix-hive: --failed: needs hive.state; drop --no-state'],
    [
      ['--activation-timeout', 'soon'],
      'nix-hive: --activation-timeout: must be a whole number ≥ 1, got "soon"',
    ],
    [['--connect-timeout', '-1'], 'nix-hive: --connect-timeout: must be a whole number ≥ 1, got "-1"'],
  ];
  for (const [extra, line] of cases) {
    for (const cmd of [['deploy'], ['deploy', '--dry-run'], ['plan']]) {
      const r = await cli(fleet, [...cmd, ...extra]);
      assert.equal(r.code, 2, `${cmd.join(' ')} ${extra.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim(), line);
      assert.equal(r.stdout, '');
    }
  }
  assert.equal(existsSync(marker) ? readFileSync(marker, 'utf8') : '', '');
});

test('the compiled CLI answers a sample as the in-process runs do, and starts nothing either', async () => {
  const sample = [
    ['plan', '--failed'],
    ['deploy', '--failed', 'www-1'],
    ['deploy', '--dry-run', '--parallel', '0'],
  ];
  // One process for the sample, loading the bundle as the bin does (the bin itself: cli-catalogue's control).
  const compiled = await runCompiled(
    sample.map((args) => ({ cwd: fleet, args })),
    shimmed(),
  );
  for (const [i, args] of sample.entries()) {
    assert.deepEqual(compiled[i], await cli(fleet, args), args.join(' '));
  }
  assert.equal(existsSync(marker) ? readFileSync(marker, 'utf8') : '', '');
});

test('deploy --json on an empty hive prints a report record', async () => {
  const empty = hiveDir('empty', {});
  const r = await cli(empty, ['deploy', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const report = events.find((e) => e.kind === 'report')?.report;
  assert.ok(report, r.stdout);
  assert.equal(report.ok, true);
  assert.deepEqual(report.instances, []);
  assert.equal(existsSync(path.join(empty, 'hive.state.lock')), false);
});
