// --reboot on the real fleet (every reboot path of a host is the harness's stub: see
// rollout-power-stubs.test.ts): the deploy sets the profile, reboots, sees a new boot_id and the new system
// current, and runs the checks; a host that never comes back is unreachable after --reboot-timeout. A switch
// whose kernel differs from the booted one is reported "needs reboot" in the summary and in `status`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { cli, reportOf, systemLinks } from './support/seed-fleet.ts';
import { instanceOf, outcomes } from './support/faults.ts';
import { rolloutModule, writeCheckedHive } from './support/rollout.ts';

let fleet: Fleet;
let env: Record<string, string>;

useFleet({ r1: 'public', r2: 'public' }, (u) => ({ fleet, env } = u));

const MODULES = {
  good: rolloutModule({ seed: 'good' }),
  newer: rolloutModule({ seed: 'good', kernel: '6.7.0' }),
};
const hive = (name: string, instances: Record<string, string>) =>
  writeCheckedHive(fleet, name, { modules: MODULES, instances });

test('--reboot: a new boot_id is observed, the new system is current, the checks ran', async () => {
  const r1 = fleet.hosts.r1!;
  const before = await r1.bootId();
  const dir = await hive('reboot', { r1: 'good' });
  const r = await cli(
    ['deploy', '-c', dir, '--json', '--reboot', '--reboot-timeout', '30', 'r1'],
    env,
    180_000,
  );
  assert.equal(r.exitCode, 0, r.stderr);
  const report = reportOf(r);
  assert.equal(report.goal, 'boot');
  assert.deepEqual(outcomes(report), { r1: 'ok' });
  const after = await r1.bootId();
  assert.notEqual(after, before);
  assert.ok((await r1.powerCalls()).includes('reboot'));
  const good = report.systems.good.outPath as string;
  assert.deepEqual(await systemLinks(fleet, 'r1'), { current: good, profile: good });
  const log = await readFile(path.join(report.logDir, 'r1.log'), 'utf8');
  assert.match(log, new RegExp(`is back \\(boot id ${after}\\)`));
  assert.match(log, /check health on r1: ok/);

  // A switch to a system with another kernel: runs, but needs a reboot to boot that kernel.
  const newer = await hive('newer', { r1: 'newer' });
  const s = await cli(['deploy', '-c', newer, 'r1'], env, 180_000);
  assert.equal(s.exitCode, 0, s.stderr);
  assert.match(s.stdout, /^needs reboot \(new kernel, initrd or modules\): r1$/m);
  const st = await cli(['status', '-c', newer, 'r1'], env, 60_000);
  assert.match(st.stdout, /r1\s+newer\s+in-sync\s+needs reboot \(kernel, initrd, kernel-modules changed\)/);
});

test('a host that never comes back is unreachable after --reboot-timeout', async () => {
  const r2 = fleet.hosts.r2!;
  r2.setRebootBehaviour('never-return');
  const dir = await hive('lost', { r2: 'good' });
  const started = Date.now();
  const r = await cli(
    ['deploy', '-c', dir, '--json', '--reboot', '--reboot-timeout', '6', '--connect-timeout', '2', 'r2'],
    env,
    180_000,
  );
  const took = (Date.now() - started) / 1000;
  assert.equal(r.exitCode, 1, r.stderr);
  const report = reportOf(r);
  assert.deepEqual(outcomes(report), { r2: 'unreachable' });
  assert.match(instanceOf(report, 'r2').reason, /^no new boot id from r2 within 6s after the reboot \(.+\)$/);
  const act = report.steps.find((x: any) => x.id === 'activate:r2');
  console.log(
    `reboot: unreachable after ${(act.durationMs / 1000).toFixed(1)} s of activation (timeout 6 s), deploy ${took.toFixed(1)} s`,
  );
  assert.ok(act.durationMs < (6 + 2 + 6) * 1000, `bounded: ${act.durationMs} ms`);
  assert.match(await r2.powerLog(), /down \(never returns\)/);
});
