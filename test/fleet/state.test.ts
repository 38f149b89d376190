// hive.state on the real fleet: retrying what failed without rebuilding, `--no build` noticing a
// module edit, a SIGINT leaving a valid state file, and `status` catching drift made behind our back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readState } from '../../lib/state/store.ts';
import { BIN, cli, copyExample, reportOf, systemLinks } from './support/seed-fleet.ts';
import { useSeedFleet } from './support/use-fleet.ts';

let hiveDir: string;
let stateFile: string;

const seed = useSeedFleet({}, async () => {
  hiveDir = await copyExample(seed.fleet);
  stateFile = path.join(hiveDir, 'hive.state');
});

const nixBuildCalls = async () => (await seed.calls()).filter((c) => c.startsWith('nix-build '));

test('deploy --failed --no build redeploys only the host that failed, without nix-build', async () => {
  const { fleet } = seed;
  await fleet.hosts['www-2']!.stopSshd();
  const first = await cli(['deploy', '-c', hiveDir, '--json', '*'], seed.env);
  await fleet.hosts['www-2']!.startSshd();
  assert.equal(first.exitCode, 1, first.stderr);
  const state = await readState(stateFile);
  assert.equal(state.instances['www-2']!.outcome, 'failed');
  assert.equal(state.instances['www-1']!.outcome, 'ok');
  assert.ok(state.systems.www?.fingerprint, 'the build was recorded with its fingerprint');

  await seed.resetCalls();
  const retry = await cli(['deploy', '-c', hiveDir, '--json', '--failed', '--no', 'build'], seed.env);
  assert.equal(retry.exitCode, 0, retry.stderr + retry.stdout.slice(-3000));
  assert.deepEqual(
    reportOf(retry).instances.map((i: any) => [i.instance, i.outcome]),
    [['www-2', 'ok']],
  );
  assert.deepEqual(await nixBuildCalls(), [], 'no nix-build call');
  const links = await systemLinks(fleet, 'www-2');
  assert.equal(links.current, state.systems.www!.outPath);
  assert.equal((await readState(stateFile)).instances['www-2']!.outcome, 'ok');

  const nothing = await cli(['deploy', '-c', hiveDir, '--failed'], seed.env);
  assert.equal(nothing.exitCode, 0);
  assert.match(nothing.stderr, /no failed instance; nothing to deploy/);
});

test('--no build after a module edit rebuilds and says why', async () => {
  await appendFile(
    path.join(hiveDir, 'modules', 'storage.nix'),
    '\n# an edit that changes the fingerprint\n',
  );
  await seed.resetCalls();
  const r = await cli(['deploy', '-c', hiveDir, '--no', 'build', 'storage'], seed.env);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stderr, /--no build: building storage anyway: its modules, search path or config changed/);
  assert.equal((await nixBuildCalls()).length, 1);
  // Unchanged systems are reused from the state.
  await seed.resetCalls();
  const again = await cli(['deploy', '-c', hiveDir, '--no', 'build', 'storage', 'www-1'], seed.env);
  assert.equal(again.exitCode, 0, again.stderr);
  assert.deepEqual(await nixBuildCalls(), []);
});

test('a SIGINT during a deploy leaves a valid state file and says what was interrupted', async () => {
  // Slow activations give the signal a window.
  const www = path.join(hiveDir, 'modules', 'www.nix');
  const text = await readFile(www, 'utf8');
  await writeFile(www, text.replace(/\}\s*$/, '  hive.activationDelay = 4;\n}\n'));
  const child = spawn(process.execPath, [BIN, 'deploy', '-c', hiveDir, 'www-1', 'www-2', 'www-3'], {
    env: seed.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (c) => (stdout += c));
  const activating = new Promise<void>((resolve) =>
    child.stderr.on('data', (c) => {
      stderr += c;
      if (/start\s+activate www-/.test(stderr)) resolve();
    }),
  );
  await activating;
  const t0 = Date.now();
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.ok(Date.now() - t0 < 15_000, 'ended within the grace period');
  assert.notEqual(code, 0, stdout + stderr);
  assert.match(stderr, /SIGINT: starting no new steps/);
  const state = await readState(stateFile); // parses and validates the version, or throws
  assert.equal(state.version, 2);
  assert.match(stdout, /INSTANCE\s+SYSTEM\s+OUTCOME/, 'the summary is printed');
  // The entries are this run's (earlier tests recorded these instances too): its run id, and the outcome its
  // summary shows, never "not finished".
  const runId = /^nix-hive: run (\S+):/m.exec(stderr)?.[1];
  assert.ok(runId, stderr);
  for (const n of ['www-1', 'www-2', 'www-3']) {
    const shown = new RegExp(`^${n}\\s+www\\s+(\\w+)`, 'm').exec(stdout)?.[1];
    assert.ok(shown === 'ok' || shown === 'interrupted', `${n}: ${shown}`);
    assert.equal(state.instances[n]!.runId, runId, `${n} recorded by the interrupted run`);
    assert.equal(state.instances[n]!.outcome, shown, `${n} recorded as the summary shows it`);
  }
});

test('status reports a host whose profile was changed behind our back as drifted', async () => {
  const { fleet } = seed;
  const ok = await cli(['deploy', '-c', hiveDir, 'portico', 'storage'], seed.env);
  assert.equal(ok.exitCode, 0, ok.stderr);
  const before = await cli(['status', '-c', hiveDir, '--json', 'portico', 'storage'], seed.env);
  assert.equal(before.exitCode, 0, before.stderr);
  assert.deepEqual(
    JSON.parse(before.stdout).map((r: any) => [r.instance, r.status]),
    [
      ['portico', 'in-sync'],
      ['storage', 'in-sync'],
    ],
  );
  const storage = fleet.hosts.storage!;
  const added = await storage.exec(['sh', '-c', 'echo other > /run/other && nix-store --add /run/other']);
  const other = added.stdout.trim();
  assert.match(other, /^\/nix\/store\//, added.stderr);
  assert.equal(
    (await storage.exec(['nix-env', '-p', '/nix/var/nix/profiles/system', '--set', other])).exitCode,
    0,
  );
  const after = await cli(['status', '-c', hiveDir, '--json', 'portico', 'storage'], seed.env);
  assert.equal(after.exitCode, 1);
  const rows = Object.fromEntries(JSON.parse(after.stdout).map((r: any) => [r.instance, r]));
  assert.equal(rows.portico.status, 'in-sync');
  assert.equal(rows.storage.status, 'drifted');
  assert.match(rows.storage.detail, /the system profile is \/nix\/store\/.*-other/);

  await fleet.hosts['www-3']!.stopSshd();
  try {
    const gone = await cli(['status', '-c', hiveDir, '--json', 'www-3'], seed.env);
    assert.equal(JSON.parse(gone.stdout)[0].status, 'unreachable');
  } finally {
    await fleet.hosts['www-3']!.startSshd();
  }
});
