// Building on a build host on the internal network: 1 + 4 hosts (portico as jump and store host, www-1..4
// behind it) plus `builder` behind portico. The deployer evaluates and copies only the derivations; the
// builder realises them (GC root there), signs them with the hive key streamed over the connection, and
// pushes them to portico with a key made for the run, which portico accepts only for this run. The
// deployer's uplink carries at most 1% of the closure bytes; its own store never holds the toplevel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { buildHostFleet, writeBuildHostHive, WWW } from './support/build-host-hive.ts';
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
  for (const line of [
    'build portico@builder',
    'build www@builder',
    'sign www@builder (whole closure)',
    'copy www builder → portico',
    'copy portico builder → portico',
    'copy www → www-1 (substitutes from portico)',
  ])
    assert.ok(r.stdout.includes(line), `${line}\n${r.stdout}`);
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
  assert.notEqual((await run(['nix-store', '--check-validity', www], { env })).exitCode, 0, 'not here');
  const b = fleet.hosts.builder!;
  assert.equal((await b.exec(['nix-store', '--check-validity', www])).exitCode, 0, 'on the builder');
  const roots = (await b.exec(['nix-store', '--gc', '--print-roots'])).stdout;
  assert.match(roots, new RegExp(`/nix/var/nix/gcroots/nix-hive/www -> ${www}`), roots);
  for (const n of ['portico', ...WWW]) {
    const cur = (await fleet.hosts[n]!.exec(['readlink', '-f', '/run/current-system'])).stdout.trim();
    assert.equal(cur, report.systems[n === 'portico' ? 'portico' : 'www'].outPath, `${n} runs it`);
  }
  // Closure bytes versus what crossed the deployer's uplink (both directions).
  const size = (
    await b.exec([
      'nix-store',
      '--query',
      '--size',
      ...(await b.exec(['nix-store', '-qR', www, report.systems.portico.outPath])).stdout.trim().split('\n'),
    ])
  ).stdout
    .trim()
    .split('\n')
    .reduce((a, l) => a + Number(l), 0);
  const crossed = up1.tx - up0.tx + (up1.rx - up0.rx);
  const ratio = crossed / size;
  process.stderr.write(
    `build host: closure ${size} bytes, uplink ${crossed} bytes (${(ratio * 100).toFixed(2)}%)\n`,
  );
  assert.ok(size > 40 * 1024 * 1024, `closure ${size}`);
  assert.ok(
    ratio <= 0.01,
    `uplink carried ${crossed} of ${size} closure bytes (${(ratio * 100).toFixed(2)}%)`,
  );
});

test('nothing of the run is left: no push key on the builder, no authorized_keys line on portico', async () => {
  const b = await fleet.hosts.builder!.exec(['sh', '-c', 'ls -A /run/nix-hive-build 2>/dev/null || true']);
  assert.equal(b.stdout.trim(), '');
  const keys = await fleet.hosts.portico!.exec(['cat', '/root/.ssh/authorized_keys']);
  assert.doesNotMatch(keys.stdout, /nix-hive-build:/);
  // The hive key never landed on the builder's own disk (its /run, /root and /nix are its own).
  const secret = (await readFile(path.join(EXAMPLE, 'keys', 'hive.sec'), 'utf8')).trim().split(':')[1]!;
  const found = await fleet.hosts.builder!.exec([
    'grep',
    '-rlF',
    '--',
    secret,
    '/run',
    '/root',
    '/nix/store',
  ]);
  assert.equal(found.stdout.trim(), '', found.stdout);
});
