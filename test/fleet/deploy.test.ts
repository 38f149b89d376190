// End to end: deploy example/ (the seed's hive) to a real fleet — portico as jump and store host,
// www-1..3 and storage behind it — through the real CLI, real nix and real ssh. Nothing is mocked:
// the spy PATH only logs each nix/ssh invocation before exec'ing the real tool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  cli,
  copyExample,
  eventIndex,
  reportOf,
  setNixConf,
  systemLinks,
  wireToPortico,
} from './support/seed-fleet.ts';
import { useSeedFleet } from './support/use-fleet.ts';

// `portico '*'`: portico first, then the rest in name order.
const ALL = ['portico', 'storage', 'www-1', 'www-2', 'www-3'];
const WWW = ['www-1', 'www-2', 'www-3'];
let firstReport: Record<string, any>;

// A copy of example/ in the fleet's folder: its hive.state, lock and .hive/ are this run's alone (another
// fleet file may deploy example/ at the same time, and a run must not find the last one's state).
let example: string;
const seed = useSeedFleet({}, async (s) => {
  example = await copyExample(s.fleet, 'example');
});

const deployArgs = (...rest: string[]) => ['deploy', '-c', example, '--json', ...rest];

test('first deploy: built once, stored on portico first, substituted from it, activated in order', async () => {
  const { fleet } = seed;
  const r = await cli(deployArgs('portico', '*'), seed.env);
  assert.equal(r.exitCode, 0, `deploy failed:\n${r.stderr}\n${r.stdout.slice(-4000)}`);
  const report = reportOf(r);
  firstReport = report;
  assert.deepEqual(
    report.instances.map((i: any) => [i.instance, i.outcome]),
    ALL.map((n) => [n, 'ok']),
  );

  // Each system was built once: one nix-build process for all three systems.
  const calls = await seed.calls();
  assert.equal(calls.filter((c) => c.startsWith('nix-build ')).length, 1, calls.join('\n'));
  for (const s of ['portico', 'www', 'storage']) {
    assert.equal(r.events.filter((e) => e.kind === 'step-start' && e.step === `build:${s}`).length, 1);
  }

  // portico had the www closure before any www copy started.
  const wwwToPortico = eventIndex(r, 'step-end', 'copy:www>portico');
  assert.ok(wwwToPortico >= 0);
  for (const w of WWW)
    assert.ok(wwwToPortico < eventIndex(r, 'step-start', `copy:www>${w}`), `${w} copy started early`);
  const wwwPath = report.systems.www.outPath as string;
  const onPortico = await fleet.hosts.portico!.exec(['nix-store', '--check-validity', wwwPath]);
  assert.equal(onPortico.exitCode, 0, 'portico holds the www closure');

  // The www hosts got their closure by substitution from portico (nix says where each path came from).
  for (const w of WWW) {
    const log = await readFile(path.join(report.logDir, `${w}.log`), 'utf8');
    assert.match(
      log,
      new RegExp(`copying path '${wwwPath}' from 'ssh://root@${fleet.hosts.portico!.internalAddress}'`),
    );
  }

  // portico was activated before the hosts behind it.
  const porticoDone = eventIndex(r, 'step-end', 'activate:portico');
  for (const n of [...WWW, 'storage']) assert.ok(porticoDone < eventIndex(r, 'step-start', `activate:${n}`));

  // Each host's profile and /run/current-system point at its system.
  for (const n of ALL) {
    const sys = n.startsWith('www') ? 'www' : n;
    const links = await systemLinks(fleet, n);
    assert.equal(links.current, report.systems[sys].outPath, `${n} /run/current-system`);
    assert.equal(links.profile, report.systems[sys].outPath, `${n} system profile`);
  }

  // Each host saw exactly two ssh connections from the deployer (the www hosts' come through portico): the one
  // that did the work, and the new one that confirmed the switch (a host that accepts none is rolled back).
  assert.equal(await fleet.hosts.portico!.connections(fleet.deployerAddress), 2, 'portico connections');
  for (const n of [...WWW, 'storage']) {
    assert.equal(
      await fleet.hosts[n]!.connections(fleet.hosts.portico!.internalAddress),
      2,
      `${n} connections`,
    );
  }
  // Per-host logs exist.
  const logs = await readdir(report.logDir);
  for (const n of ALL) assert.ok(logs.includes(`${n}.log`), `log for ${n}`);
});

test('a second run changes nothing and copies no closure bytes', async () => {
  const { fleet } = seed;
  const before = await Promise.all(ALL.map((n) => systemLinks(fleet, n)));
  const generations = (await fleet.hosts['www-1']!.exec(['ls', '/nix/var/nix/profiles'])).stdout;
  const r = await cli(deployArgs('portico', '*'), seed.env);
  assert.equal(r.exitCode, 0, r.stderr);
  const report = reportOf(r);
  assert.deepEqual(report.systems, firstReport.systems);
  for (const n of ALL) {
    const log = await readFile(path.join(report.logDir, `${n}.log`), 'utf8');
    assert.doesNotMatch(log, /copying path/, `${n} received paths again`);
  }
  assert.deepEqual(await Promise.all(ALL.map((n) => systemLinks(fleet, n))), before);
  assert.equal(
    (await fleet.hosts['www-1']!.exec(['ls', '/nix/var/nix/profiles'])).stdout,
    generations,
    'no new profile generation',
  );
});

test('dry-activate changes nothing on the host', async () => {
  const { fleet } = seed;
  const before = await systemLinks(fleet, 'www-1');
  const r = await cli(deployArgs('--goal', 'dry-activate', 'www-1'), seed.env);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.deepEqual(await systemLinks(fleet, 'www-1'), before);
  const log = await fleet.hosts['www-1']!.exec(['cat', '/run/hive-activation.log']);
  assert.match(log.stdout.trim().split('\n').at(-1)!, /dry-activate/);
});

test('a host whose sshd is stopped fails alone; the others succeed; exit code 1', async () => {
  const { fleet } = seed;
  await fleet.hosts['www-2']!.stopSshd();
  try {
    const r = await cli(deployArgs('*'), seed.env);
    assert.equal(r.exitCode, 1, r.stderr);
    const report = reportOf(r);
    const outcome = Object.fromEntries(report.instances.map((i: any) => [i.instance, i.outcome]));
    assert.deepEqual(outcome, {
      portico: 'ok',
      'www-1': 'ok',
      'www-2': 'failed',
      'www-3': 'ok',
      storage: 'ok',
    });
    const w2 = report.instances.find((i: any) => i.instance === 'www-2');
    assert.match(w2.reason, /www-2/);
  } finally {
    await fleet.hosts['www-2']!.startSshd();
  }
});

test('a dependent not wired to substitute from its store fails the preflight with a hint', async () => {
  const { fleet } = seed;
  // A new storage system (an edited module), so there is something to copy.
  const hive = await copyExample(fleet);
  const module = path.join(hive, 'modules', 'storage.nix');
  await writeFile(module, (await readFile(module, 'utf8')).replace(/\}\s*$/, '  hive.payloadSize = 1;\n}\n'));
  await setNixConf(fleet, 'storage', ['substituters =']);
  try {
    const r = await cli(['deploy', '-c', hive, 'storage'], seed.env);
    assert.equal(r.exitCode, 1, r.stderr);
    assert.match(r.stdout, /storage\s+storage\s+failed/);
    assert.match(r.stdout + r.stderr, /storage is not wired to substitute from portico/);
    assert.match(r.stdout + r.stderr, /--allow-direct/);
  } finally {
    await wireToPortico(fleet, 'storage');
  }
});
