// Building on a build host on the internal network: 1 + 4 hosts (portico as jump and store host, www-1..4
// behind it) plus `builder` behind portico. The deployer evaluates and copies only the derivations; the
// builder realises them (GC root there), signs them with the hive key streamed over the connection, and
// pushes them to portico with a key made for the run, which portico accepts only for this run. The
// deployer's uplink carries at most 1% of the closure bytes; its own store never holds the toplevel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { buildHostFleet, writeBuildHostHive, WWW } from './support/build-host-hive.ts';
import * as check from './support/build-host-checks.ts';
import { run } from './harness/proc.ts';
import { cli, EXAMPLE, reportOf } from './support/seed-fleet.ts';

let fleet: Fleet;
let dir: string;
let env: Record<string, string>;

useFleet(buildHostFleet('internal'), async (u) => {
  fleet = u.fleet;
  dir = await writeBuildHostHive(fleet, {
    buildHost: 'builder',
    seed: path.basename(fleet.dir),
    builderInstance: true,
  });
  env = { ...(process.env as Record<string, string>), ...fleet.nixEnv(), HOME: path.join(fleet.dir, 'home') };
  await mkdir(env.HOME!, { recursive: true });
});

test('the plan shows where each system is built and who pushes it', async () => {
  const r = await run(
    [process.execPath, path.join(EXAMPLE, '..', 'bin', 'nix-hive.mjs'), 'plan', '-c', dir, 'portico', ...WWW],
    { env },
  );
  assert.equal(r.exitCode, 0, r.stderr);
  check.plan(r.stdout);
});

test('built on the builder, pushed from it: the uplink carries ≤ 1% of the closure, no toplevel here', async () => {
  const up0 = await fleet.uplinkBytes();
  const r = await cli(['deploy', '-c', dir, '--json', 'portico', ...WWW], env);
  const up1 = await fleet.uplinkBytes();
  assert.equal(r.exitCode, 0, `deploy failed:\n${r.stderr}\n${r.stdout.slice(-4000)}`);
  const report = reportOf(r);
  assert.deepEqual(
    report.instances.map((i: any) => [i.instance, i.outcome]),
    ['portico', ...WWW].map((n) => [n, 'ok']),
  );
  const www = report.systems.www.outPath as string;
  // The deployer's store never held the toplevel; the builder's does, with a GC root.
  await check.builtOnBuilder(fleet, env, www);
  for (const n of ['portico', ...WWW]) {
    const cur = (await fleet.hosts[n]!.exec(['readlink', '-f', '/run/current-system'])).stdout.trim();
    assert.equal(cur, report.systems[n === 'portico' ? 'portico' : 'www'].outPath, `${n} runs it`);
  }
  await check.uplinkShare(fleet, 'build host', [www, report.systems.portico.outPath], up0, up1);
});

test('nothing of the run is left: no push key on the builder, no authorized_keys line on portico', async () => {
  await check.nothingLeftOfTheRun(fleet);
});
