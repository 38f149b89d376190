// The confirmation before activation (issue 20): on a terminal (`script`), `deploy --confirm` shows the diff
// after build and copy and asks `Activate on N hosts? [y/N]`; a "no" activates nothing (every host's
// /run/current-system and profile as they were, exit 1, "not confirmed") and the listr view has ended before the
// question; "y" activates. Without a terminal `--confirm` refuses to start (exit 2, one line) unless `--yes`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { cli, reportOf, systemLinks } from './support/seed-fleet.ts';
import { outcomes, writeStubHive } from './support/faults.ts';
import { generation } from './support/diff-hive.ts';
import { assertNothingLeft, nixHive, startGroup } from './support/process-group.ts';

let fleet: Fleet;
let env: Record<string, string>;
let gen2: string;

const HOSTS = ['a', 'b'];
const hive = (dir: string, tool: string, app: string) =>
  writeStubHive(fleet, path.join(fleet.dir, dir), {
    modules: { s: generation({ seed: 'confirm', tool, extra: tool !== '1.0', app }) },
    instances: { a: { system: 's', host: 'a' }, b: { system: 's', host: 'b' } },
  });

useFleet({ a: 'public', b: 'public' }, async (u) => {
  ({ fleet, env } = u);
  const first = await cli(['deploy', '-c', await hive('gen1', '1.0', 'v1'), '--json'], env);
  assert.equal(first.exitCode, 0, first.stderr);
  gen2 = await hive('gen2', '2.0', 'v2');
});

const links = async () =>
  Object.fromEntries(await Promise.all(HOSTS.map(async (h) => [h, await systemLinks(fleet, h)])));
const switches = async (h: string) =>
  (await fleet.hosts[h]!.exec(['cat', '/run/hive-activation.log'])).stdout
    .split('\n')
    .filter((l) => / (switch|test|boot) /.test(l)).length;
/** The text a terminal would show, without the escape sequences. */
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

test('without a terminal --confirm refuses to start: exit 2, one line naming --confirm, nothing built', async () => {
  const r = await cli(['deploy', '-c', gen2, '--confirm'], env);
  assert.equal(r.exitCode, 2);
  assert.equal(
    r.stderr,
    'nix-hive: --confirm: needs a terminal to ask on; add --yes to activate without asking\n',
  );
  assert.equal(r.stdout, '');
  assert.ok(!existsSync(path.join(gen2, '.hive')), 'no run started');
});

test('on a terminal, a declined confirmation activates nothing: links and profiles as they were, exit 1', async () => {
  const before = await links();
  const switched = await Promise.all(HOSTS.map(switches));
  const run = startGroup(nixHive('deploy', '-c', gen2, '--confirm'), env, {
    tty: { stty: 'cols 120 rows 40' },
  });
  await run.waitFor('stdout', /Activate on 2 hosts\? \[y\/N\] $/, 240_000);
  // The diff was shown first, after the copy: the new system is already in the hosts' stores.
  const shown = plain(run.stdout());
  assert.match(shown, /^ {4}tool: 1\.0 \u2192 2\.0$/m, shown);
  assert.match(shown, /^ {4}restart: app\.service$/m, shown);
  run.child.stdin!.write('n\n');
  const r = await run.done;
  run.child.stdin!.end();
  const out = plain(r.stdout);
  assert.match(out, /EXIT=1$/m, out);
  assert.match(out, /nix-hive: not confirmed: nothing activated/, out);
  // The view ended before the question: nothing of listr drawn after it but the summary lines.
  const after = out.slice(out.indexOf('[y/N]'));
  assert.doesNotMatch(after, /[\u2714\u2716\u25fc]|activate \d+\/\d+/, after);
  assert.deepEqual(await links(), before);
  assert.deepEqual(await Promise.all(HOSTS.map(switches)), switched);
  await assertNothingLeft(run, gen2);
});

test('on a terminal, "y" activates on every host', async () => {
  const run = startGroup(nixHive('deploy', '-c', gen2, '--confirm'), env, {
    tty: { stty: 'cols 120 rows 40' },
  });
  await run.waitFor('stdout', /Activate on 2 hosts\? \[y\/N\] $/, 240_000);
  run.child.stdin!.write('y\n');
  const r = await run.done;
  run.child.stdin!.end();
  const out = plain(r.stdout);
  assert.match(out, /EXIT=0$/m, out);
  const now = await links();
  for (const h of HOSTS) {
    assert.equal(now[h].current, now[h].profile);
    assert.notEqual(now[h].current, '');
  }
  await assertNothingLeft(run, gen2);
});

test('--confirm --yes without a terminal shows the diff (a JSON event) and activates', async () => {
  const dir = await hive('gen3', '3.0', 'v3');
  const r = await cli(['deploy', '-c', dir, '--confirm', '--yes', '--json'], env);
  assert.equal(r.exitCode, 0, r.stderr);
  const diff = r.events.find((e) => e.kind === 'diff')?.diff;
  assert.ok(diff, r.stdout);
  assert.deepEqual(
    diff.blocks.map((b: { packages: { changed: Array<{ name: string }> } }) =>
      b.packages.changed.map((c) => c.name),
    ),
    [['tool']],
  );
  // The diff came after the copies and before the first activation.
  const at = r.events.findIndex((e) => e.kind === 'diff');
  const firstActivation = r.events.findIndex((e) => e.kind === 'step-start' && e.stepKind === 'activate');
  const lastCopy = r.events.reduce((n, e, i) => (e.kind === 'step-end' && e.stepKind === 'copy' ? i : n), -1);
  assert.ok(lastCopy < at && at < firstActivation, `${lastCopy} ${at} ${firstActivation}`);
  assert.deepEqual(outcomes(reportOf(r)), { a: 'ok', b: 'ok' });
});

test('--reboot=auto reboots only the host whose diff needs it; the other switches', async () => {
  for (const h of HOSTS)
    await fleet.hosts[h]!.exec([
      'sh',
      '-c',
      'ln -sfn "$(readlink -e /run/current-system)" /run/booted-system',
    ]);
  const dir = await writeStubHive(fleet, path.join(fleet.dir, 'auto'), {
    modules: {
      sa: generation({ seed: 'confirm', tool: '4.0', extra: true, app: 'v4', kernel: '6.9.0' }),
      sb: generation({ seed: 'confirm', tool: '4.0', extra: true, app: 'v4' }),
    },
    instances: { a: { system: 'sa', host: 'a' }, b: { system: 'sb', host: 'b' } },
  });
  const boots = await Promise.all(HOSTS.map((h) => fleet.hosts[h]!.bootId()));
  const r = await cli(
    ['deploy', '-c', dir, '--reboot=auto', '--reboot-timeout', '60', '--json'],
    env,
    300_000,
  );
  assert.equal(r.exitCode, 0, r.stderr);
  const report = reportOf(r);
  assert.deepEqual(outcomes(report), { a: 'ok', b: 'ok' });
  const diff = r.events.find((e) => e.kind === 'diff')?.diff;
  assert.deepEqual(
    diff.blocks.flatMap((b: { needsReboot: Array<{ instance: string }> }) =>
      b.needsReboot.map((n) => n.instance),
    ),
    ['a'],
  );
  assert.notEqual(await fleet.hosts.a!.bootId(), boots[0]);
  assert.equal(await fleet.hosts.b!.bootId(), boots[1]);
  assert.ok((await fleet.hosts.a!.powerCalls()).includes('reboot'));
  assert.ok(!(await fleet.hosts.b!.powerCalls()).includes('reboot'));
  const now = await links();
  assert.deepEqual(now.a, { current: report.systems.sa.outPath, profile: report.systems.sa.outPath });
  assert.deepEqual(now.b, { current: report.systems.sb.outPath, profile: report.systems.sb.outPath });
});
