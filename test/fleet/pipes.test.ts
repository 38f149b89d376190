// Issue 12, items 3 and 14 on the real fleet: our own output going away is not a crash. A reader that
// closes early (`deploy 2>&1 | head`, `deploy --json | head -2`, `run … | head -2`) stops the run as a
// Ctrl-C would: no EPIPE stack trace, the running activation finishes, the state stays valid, nothing is
// left. A full disk under .hive/logs costs the logs (one warning), not the deploy. And `--goal
// dry-activate` shows what the activation would do without `-v`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { readState } from '../../lib/state/store.ts';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { run as runTool } from './harness/proc.ts';
import { stubModule, writeStubHive } from './support/faults.ts';
import {
  activationStarted,
  assertAFinishedBInterrupted,
  assertNothingLeft,
  nixHive,
  startGroup,
  stateFile,
} from './support/process-group.ts';

let fleet: Fleet;
let env: Record<string, string>;

useFleet({ jump: 'both', a: 'public', b: 'public', x: 'internal' }, (u) => ({ fleet, env } = u));

const slowHive = (name: string, delay: number) =>
  writeStubHive(fleet, path.join(fleet.dir, name), {
    modules: { slow: stubModule({ delay, seed: name }) },
    instances: { a: { system: 'slow', host: 'a' }, b: { system: 'slow', host: 'b' } },
  });

const NO_CRASH = /Error: (write )?EPIPE|Emitted 'error'|internal error|\n\s+at /;

test('deploy 2>&1 | head: the progress reader goes away; the run stops as by Ctrl-C, the summary is still printed', async () => {
  const dir = await slowHive('progress-closed', 3);
  const run = startGroup(nixHive('deploy', '-c', dir, '--parallel', '1', 'a', 'b'), env);
  await activationStarted(fleet.hosts.a!);
  run.child.stderr!.destroy(); // the progress lines' reader is gone
  const r = await run.done;
  assert.equal(r.code, 130, r.stdout);
  await assertAFinishedBInterrupted(r.stdout, dir);
  await assertNothingLeft(run, dir);
});

test('deploy --json | head -2: no EPIPE stack trace; stopped in order, state valid, nothing left', async () => {
  const dir = await slowHive('json-closed', 3);
  const run = startGroup(nixHive('deploy', '-c', dir, '--json', '--parallel', '1', 'a', 'b'), env);
  await run.waitFor('stdout', /\n.*\n/); // two lines
  run.child.stdout!.destroy();
  const r = await run.done;
  assert.equal(r.code, 130, r.stderr);
  assert.doesNotMatch(r.stderr, NO_CRASH);
  const state = await readState(stateFile(dir));
  for (const n of ['a', 'b']) assert.match(state.instances[n]!.outcome, /^(ok|interrupted)$/);
  await assertNothingLeft(run, dir);
});

test("run '*' -- seq 1 2000 | head -2: ends at once, no ssh process or session folder left", async () => {
  const hive = await writeStubHive(fleet, path.join(fleet.dir, 'run-hive'), {
    modules: { stub: stubModule() },
    instances: {
      jump: { system: 'stub', host: 'jump' },
      a: { system: 'stub', host: 'a' },
      b: { system: 'stub', host: 'b' },
      x: { system: 'stub', host: 'x', via: 'jump' },
    },
  });
  const run = startGroup(nixHive('run', '-c', hive, '--parallel', '1', '*', '--', 'seq', '1', '2000'), env);
  await run.waitFor('stdout', /\n.*\n/);
  run.child.stdout!.destroy();
  const t0 = Date.now();
  const r = await run.done;
  assert.ok(Date.now() - t0 < 15_000, `ended ${Date.now() - t0} ms after its reader`);
  assert.doesNotMatch(r.stderr, NO_CRASH);
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /stdout closed \(EPIPE\): starting no new steps/);
  await assertNothingLeft(run);
});

test('a full disk under .hive/logs: one warning, the deploy goes on and succeeds', async () => {
  const dir = await slowHive('disk-full', 0);
  const logs = path.join(dir, '.hive', 'logs');
  await mkdir(logs, { recursive: true });
  await runTool(['mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', logs]);
  try {
    await runTool(['sh', '-c', `dd if=/dev/zero of=${logs}/filler bs=4k 2>/dev/null; true`]);
    const run = startGroup(nixHive('deploy', '-c', dir), env);
    const r = await run.done;
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, NO_CRASH);
    assert.equal(r.stderr.match(/cannot write the logs/g)?.length, 1, r.stderr);
    assert.match(r.stderr, /ENOSPC/);
    assert.match(r.stdout, /2 ok, 0 failed/);
    await assertNothingLeft(run, dir);
  } finally {
    await runTool(['umount', logs]);
  }
});

test('--goal dry-activate shows what each activation would do, without -v', async () => {
  const dir = await slowHive('dry', 0);
  const run = startGroup(nixHive('deploy', '-c', dir, '--goal', 'dry-activate'), env);
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  for (const n of ['a', 'b']) {
    const section = r.stdout.split(`--- dry-activate on ${n} ---\n`)[1] ?? '';
    assert.match(section, /^would activate the configuration\.\.\.$/m, r.stdout);
  }
  await assertNothingLeft(run, dir);
});
