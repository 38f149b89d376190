// Issue 9, item 2 on the real fleet: a store host that is gone. Its dependents are skipped with
// "store <name> failed: …" and never tried directly (the spy PATH shows no ssh or nix copy to them);
// with --allow-direct, a dead store that is not their jump host leads to a direct push that succeeds.
// Fleet: portico (jump box and store), depot (a second store behind portico), w1 (store portico) and
// w2 (store depot), both behind portico and wired to substitute from their store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { run } from './harness/proc.ts';
import { cli, EXAMPLE, hivePublicKey, reportOf, systemLinks, wireTo } from './support/seed-fleet.ts';
import { instanceOf, outcomes, stubModule, writeStubHive } from './support/faults.ts';

let fleet: Fleet;
let env: Record<string, string>;
let spyLog: string;
let dir: string;

/** nix and ssh through a PATH folder that logs each call, then execs the real tool. */
async function spyEnv(): Promise<Record<string, string>> {
  const bin = path.join(fleet.dir, 'spy-bin');
  spyLog = path.join(fleet.dir, 'spy.log');
  await mkdir(bin, { recursive: true });
  for (const tool of ['nix', 'nix-build', 'nix-store', 'nix-env', 'ssh']) {
    const real = (await run(['sh', '-c', `command -v ${tool}`])).stdout.trim();
    await writeFile(
      path.join(bin, tool),
      `#!/bin/sh\nprintf '%s\\n' "${tool} $*" >> '${spyLog}'\nexec ${real} "$@"\n`,
    );
    await chmod(path.join(bin, tool), 0o755);
  }
  return {
    ...(process.env as Record<string, string>),
    ...fleet.nixEnv(),
    HOME: path.join(fleet.dir, 'home'),
    PATH: `${bin}:${process.env.PATH}`,
  };
}

const calls = async () => (await readFile(spyLog, 'utf8')).split('\n').filter(Boolean);

useFleet({ portico: 'both', depot: 'internal', w1: 'internal', w2: 'internal' }, async (u) => {
  fleet = u.fleet;
  env = await spyEnv();
  const key = await hivePublicKey();
  await wireTo(fleet.hosts.w1!, fleet.hosts.portico!, key);
  await wireTo(fleet.hosts.w2!, fleet.hosts.depot!, key);
  dir = await writeStubHive(fleet, path.join(fleet.dir, 'hive'), {
    signingKey: path.join(EXAMPLE, 'keys', 'hive.sec'),
    modules: { gate: stubModule(), web: stubModule({ seed: `store-${fleet.runId}`, payload: '256K' }) },
    instances: {
      portico: { system: 'gate', host: 'portico' },
      depot: { system: 'gate', host: 'depot', via: 'portico' },
      w1: { system: 'web', host: 'w1', via: 'portico', store: 'portico' },
      w2: { system: 'web', host: 'w2', via: 'portico', store: 'depot' },
    },
  });
});

const deploy = (...args: string[]) => cli(['deploy', '-c', dir, '--json', ...args], env, 120_000);

test('portico gone: everything behind it is skipped with "store portico failed", nothing tried directly', async () => {
  const portico = fleet.hosts.portico!;
  await portico.stopSshd();
  await writeFile(spyLog, '');
  try {
    const r = await deploy('--connect-timeout', '3', 'w1', 'w2');
    assert.equal(r.exitCode, 1, r.stderr);
    const report = reportOf(r);
    assert.deepEqual(outcomes(report), { w1: 'skipped', w2: 'skipped' });
    assert.match(instanceOf(report, 'w1').reason, /^store portico failed: .*portico/);
    assert.match(instanceOf(report, 'w2').reason, /^store depot failed: cannot reach depot through portico/);
    const touched = (await calls()).filter((c) => /\b(w1|w2)\b/.test(c));
    assert.deepEqual(touched, [], 'no ssh or nix command named a dependent');
  } finally {
    await portico.startSshd();
  }
});

test('the dead store is not the jump host: skipped by default, pushed directly with --allow-direct', async () => {
  const depot = fleet.hosts.depot!;
  await depot.stopSshd();
  try {
    await writeFile(spyLog, '');
    const skipped = await deploy('--connect-timeout', '3', 'w2');
    assert.equal(skipped.exitCode, 1, skipped.stderr);
    const rs = reportOf(skipped);
    assert.deepEqual(outcomes(rs), { w2: 'skipped' });
    assert.match(instanceOf(rs, 'w2').reason, /^store depot failed: /);
    assert.deepEqual(
      (await calls()).filter((c) => /\bw2\b/.test(c)),
      [],
      'w2 was not tried directly',
    );

    const direct = await deploy('--connect-timeout', '3', '--allow-direct', 'w2');
    assert.equal(direct.exitCode, 1, 'the failed store still fails the run');
    const rd = reportOf(direct);
    assert.deepEqual(outcomes(rd), { w2: 'ok' });
    const copyStore = direct.events.find((e) => e.kind === 'step-end' && e.step === 'copy:web>depot');
    assert.equal(copyStore?.outcome, 'failed');
    const out = rd.systems.web.outPath as string;
    assert.deepEqual(await systemLinks(fleet, 'w2'), { current: out, profile: out });
    const log = await readFile(path.join(rd.logDir, 'w2.log'), 'utf8');
    assert.match(log, /pushing directly \(--allow-direct\)/);
    assert.doesNotMatch(log, /copying path '[^']*' from 'ssh:/, 'nothing came from a substituter');
  } finally {
    await depot.startSshd();
  }
});
