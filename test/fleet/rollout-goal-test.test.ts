// Issue 14 item 2 after `--goal test` on the real fleet: goal test activates without touching the system
// profile, so the host may run a system that is not its profile's. A failing check after `deploy --goal test`
// must return the host to the system it RAN before (re-activated with `test`), not to the profile's system,
// and leave the profile alone; the outcome is rolled-back and the exit code 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { cli, reportOf, systemLinks } from './support/seed-fleet.ts';
import { instanceOf, outcomes } from './support/faults.ts';
import { hostProcesses, rolloutModule, writeCheckedHive } from './support/rollout.ts';

let fleet: Fleet;
let env: Record<string, string>;

useFleet({ a: 'public' }, (u) => ({ fleet, env } = u));

const MODULES = {
  boot: rolloutModule({ seed: 'boot' }),
  tried: rolloutModule({ seed: 'tried' }),
  broken: rolloutModule({ seed: 'broken', healthy: false }),
};
/** Instance a running `system`, in a hive named after it. */
const hive = (system: keyof typeof MODULES) =>
  writeCheckedHive(fleet, system, {
    modules: MODULES,
    instances: { a: system },
    defaults: { confirmTimeout: 10 },
  });

const lastActivation = async () =>
  (await fleet.hosts.a!.exec(['cat', '/run/hive-activation.log'])).stdout.trim().split('\n').at(-1)!;

test('a failing check after --goal test returns the host to the system it ran, not to its profile', async () => {
  // The profile's system: switched to.
  const first = await cli(['deploy', '-c', await hive('boot'), '--json'], env);
  assert.equal(first.exitCode, 0, first.stderr);
  const boot = reportOf(first).systems.boot.outPath as string;
  // A system being tried: activated with goal test, the profile stays.
  const second = await cli(['deploy', '-c', await hive('tried'), '--json', '--goal', 'test'], env);
  assert.equal(second.exitCode, 0, second.stderr);
  const tried = reportOf(second).systems.tried.outPath as string;
  assert.deepEqual(await systemLinks(fleet, 'a'), { current: tried, profile: boot });

  // A broken one, also with goal test: rolled back to the tried system, the profile untouched.
  const r = await cli(['deploy', '-c', await hive('broken'), '--json', '--goal', 'test'], env);
  assert.equal(r.exitCode, 1, r.stderr);
  const report = reportOf(r);
  const broken = report.systems.broken.outPath as string;
  assert.deepEqual(outcomes(report), { a: 'rolled-back' });
  const reason = instanceOf(report, 'a').reason as string;
  assert.match(reason, /^check health failed: exit 1; rolled back to /);
  assert.ok(reason.endsWith(tried), reason);
  assert.deepEqual(await systemLinks(fleet, 'a'), { current: tried, profile: boot });
  // The broken system was activated with test, then the tried one re-activated with test (not switch: the
  // profile's boot default is not touched either).
  const log = (await fleet.hosts.a!.exec(['cat', '/run/hive-activation.log'])).stdout.trim().split('\n');
  assert.match(log.at(-2)!, new RegExp(` test ${broken}$`));
  assert.match(await lastActivation(), new RegExp(` test ${tried}$`));
  const bootDefault = (await fleet.hosts.a!.exec(['readlink', '/run/hive-boot-system'])).stdout.trim();
  assert.equal(bootDefault, boot);
  assert.deepEqual(await hostProcesses(fleet, 'a', 'nix-hive-watchdog'), []);
});
