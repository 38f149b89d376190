// Building on a host named by an ssh-ng:// URI, not an instance of the hive: 1 + 4 hosts (portico as jump and
// store host, www-1..4 behind it) plus `builder` on the public network, reached as the operator reaches it
// (their own ~/.ssh/config gives its HostName and key; the test's HOME, never the real /root). With no
// inventory pin its host key must be in the operator's own known_hosts: unknown or changed, nothing starts
// and nothing is deployed. Once it is known, the deployer copies only the derivations; the builder realises
// them (GC root there), signs them with the hive key streamed over the connection and pushes them to portico
// with a run-only key; the deployer's uplink carries ≤ 1% of the closure and its store never holds the toplevel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, rm, writeFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { buildHostFleet, writeBuildHostHive, WWW } from './support/build-host-hive.ts';
import * as check from './support/build-host-checks.ts';
import { cli, reportOf } from './support/seed-fleet.ts';
import { sleep } from './support/faults.ts';
import { assertNothingLeft, hostProcesses, nixHive, startGroup } from './support/process-group.ts';

const URI = 'ssh-ng://root@builder';
let fleet: Fleet;
let dir: string;
let env: Record<string, string>;
let knownHosts: string;

const current = async (n: string) =>
  (await fleet.hosts[n]!.exec(['sh', '-c', 'readlink -f /run/current-system || true'])).stdout.trim();

useFleet(buildHostFleet('public'), async (u) => {
  fleet = u.fleet;
  dir = await writeBuildHostHive(fleet, {
    buildHost: URI,
    seed: `${path.basename(fleet.dir)}-uri`,
    builderInstance: false,
  });
  const h = (n: string) => fleet.hosts[n]!;
  // The operator's own ssh setup, in the test's HOME: how to reach `builder`, and (later) its known key.
  const home = path.join(fleet.dir, 'home');
  await mkdir(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
  await writeFile(
    path.join(home, '.ssh', 'config'),
    `Host builder\n  HostName ${h('builder').address}\n  IdentityFile ${fleet.clientKey}\n`,
  );
  knownHosts = path.join(home, '.ssh', 'known_hosts');
  env = { ...(process.env as Record<string, string>), ...fleet.nixEnv(), HOME: home };
});

test('the plan shows the URI host building and pushing, as for an instance build host', async () => {
  const r = await cli(['plan', '-c', dir, 'portico', ...WWW], env);
  assert.equal(r.exitCode, 0, r.stderr);
  check.plan(r.stdout);
  // --build-host with an address: the dry run names that host.
  const a = fleet.hosts.builder!.address;
  const d = await cli(['deploy', '--dry-run', '-c', dir, '--build-host', `ssh-ng://root@${a}`, 'www-1'], env);
  assert.equal(d.exitCode, 0, d.stderr);
  assert.ok(d.stdout.includes(`build www@${a}`), d.stdout);
  assert.ok(d.stdout.includes(`copy www ${a} → portico`), d.stdout);
  // What a URI cannot carry yet: one line naming the argument, exit 2, nothing started.
  for (const [uri, why] of [
    ['ssh-ng://root@builder?ssh-key=/k', /store URI parameters/],
    ['ssh-ng://root@portico', /also an instance of the hive: write "portico"/],
  ] as const) {
    const bad = await cli(['deploy', '-c', dir, '--build-host', uri, 'www-1'], env);
    assert.equal(bad.exitCode, 2, bad.stderr);
    assert.equal(bad.stdout, '');
    const lines = bad.stderr.trim().split('\n');
    assert.equal(lines.length, 1, bad.stderr);
    assert.match(lines[0]!, /^nix-hive: --build-host: /);
    assert.match(lines[0]!, why);
  }
});

test('an unknown or changed builder key: no connection, a message saying what to do, nothing deployed', async () => {
  const before = await Promise.all(['portico', ...WWW].map(current));
  const drvCount = async () =>
    (
      await fleet.hosts.builder!.exec(['sh', '-c', 'ls /nix/store | grep -c "\\.drv$" || true'])
    ).stdout.trim();
  const drvs0 = await drvCount();
  const r = await cli(['deploy', '-c', dir, 'portico', ...WWW], env);
  assert.notEqual(r.exitCode, 0, r.stdout);
  const out = r.stdout + r.stderr;
  assert.match(
    out,
    /host key of build host builder \(ssh-ng:\/\/root@builder\) is not in your ~\/\.ssh\/known_hosts/,
  );
  assert.match(out, /ssh-keyscan builder >> ~\/\.ssh\/known_hosts/);
  // Never accept-new: the operator's known_hosts was not written.
  await assert.rejects(stat(knownHosts));
  // A key in known_hosts that is not the builder's (portico's, under the builder's address): refused too.
  await writeFile(knownHosts, `${fleet.hosts.builder!.address} ${fleet.hosts.portico!.hostKey}\n`);
  const m = await cli(['deploy', '-c', dir, 'portico', ...WWW], env);
  assert.notEqual(m.exitCode, 0, m.stdout);
  assert.match(m.stdout + m.stderr, /host key mismatch for build host builder/);
  assert.deepEqual(await Promise.all(['portico', ...WWW].map(current)), before, 'nothing activated');
  // Nothing reached the builder: no derivation, no push key folder; portico holds no grant.
  assert.equal(await drvCount(), drvs0, 'no derivation copied to the builder');
  const b = await fleet.hosts.builder!.exec(['sh', '-c', 'ls -A /run/nix-hive-build 2>/dev/null || true']);
  assert.equal(b.stdout.trim(), '');
  const keys = await fleet.hosts.portico!.exec(['sh', '-c', 'cat /root/.ssh/authorized_keys']);
  assert.doesNotMatch(keys.stdout, /nix-hive-build:/);
});

test('once its key is known: built and pushed there, ≤ 1% of the closure on the uplink, no toplevel here', async () => {
  await writeFile(knownHosts, `${fleet.hosts.builder!.address} ${fleet.hosts.builder!.hostKey}\n`);
  const conn0 = await fleet.hosts.builder!.connections(fleet.deployerAddress);
  const up0 = await fleet.uplinkBytes();
  const r = await cli(['deploy', '-c', dir, '--json', 'portico', ...WWW], env);
  const up1 = await fleet.uplinkBytes();
  // One ssh connection to the builder carried the derivations, the realise, the signing and the pushes.
  assert.equal((await fleet.hosts.builder!.connections(fleet.deployerAddress)) - conn0, 1, 'one connection');
  assert.equal(r.exitCode, 0, `deploy failed:\n${r.stderr}\n${r.stdout.slice(-4000)}`);
  const report = reportOf(r);
  assert.deepEqual(
    report.instances.map((i: any) => [i.instance, i.outcome]),
    ['portico', ...WWW].map((n) => [n, 'ok']),
  );
  const www = report.systems.www.outPath as string;
  const portico = report.systems.portico.outPath as string;
  // The deployer's store never held the toplevel; the builder's does, with a GC root.
  await check.builtOnBuilder(fleet, env, www);
  for (const n of ['portico', ...WWW])
    assert.equal(await current(n), n === 'portico' ? portico : www, `${n} runs it`);
  await check.uplinkShare(fleet, 'URI build host', [www, portico], up0, up1);
});

test('--no build reuses what hive.state records only while the build host still holds it', async () => {
  const anyway = (r: { events: Array<Record<string, any>> }) =>
    r.events.filter((e) => e.kind === 'message' && /building \S+ anyway/.test(e.text)).map((e) => e.text);
  const r = await cli(['deploy', '-c', dir, '--json', '--no', 'build', 'portico', ...WWW], env);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.deepEqual(anyway(r), [], "both systems are still in the builder's store");
  // The builder loses www (its GC root and the path): hive.state is a cache, the builder's store the truth.
  const www = reportOf(r).systems.www.outPath as string;
  const b = fleet.hosts.builder!;
  await b.exec(['rm', '-f', '/nix/var/nix/gcroots/nix-hive/www']);
  const del = await b.exec(['nix-store', '--delete', www]);
  assert.equal(del.exitCode, 0, del.stderr);
  const again = await cli(['deploy', '-c', dir, '--json', '--no', 'build', 'portico', ...WWW], env);
  assert.equal(again.exitCode, 0, again.stderr);
  assert.equal(anyway(again).length, 1, anyway(again).join('\n'));
  assert.match(anyway(again)[0]!, /building www anyway: .*no longer in the store of build host builder/);
  assert.equal((await b.exec(['nix-store', '--check-validity', www])).exitCode, 0, 'built there again');
});

test('nothing of the run is left: no push key on the builder, no grant on portico, no hive key on disk', async () => {
  await check.nothingLeftOfTheRun(fleet);
});

test('`nix-hive build` builds on the build host too: the result is in its store with a GC root, not here', async () => {
  // A payload no run has built yet.
  await writeFile(
    path.join(dir, 'modules', 'payload.nix'),
    `{ ... }: { hive.payloadSize = "1M"; hive.payloadSeed = "${path.basename(fleet.dir)}-build"; }\n`,
  );
  const r = await cli(['build', '-c', dir, 'www-1'], env);
  assert.equal(r.exitCode, 0, r.stderr);
  const www = JSON.parse(r.stdout).systems.www.outPath as string;
  assert.match(www, /^\/nix\/store\//);
  await check.builtOnBuilder(fleet, env, www);
});

test('`nix-hive build` on the build host, Ctrl-C to the process group: exit 130, no ssh process or folder left', async () => {
  // A system whose build sleeps on the builder until the signal comes.
  await writeFile(
    path.join(dir, 'modules', 'slow.nix'),
    `{ ... }: { environment.systemPackages = [ (derivation { name = "slow-${path.basename(fleet.dir)}"; ` +
      `system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "/bin/sleep 47; echo > $out" ]; }) ]; }\n`,
  );
  const config = path.join(dir, 'hive.config.ts');
  const text = await readFile(config, 'utf8');
  await writeFile(
    config,
    text.replace('"./modules/payload.nix"', '"./modules/payload.nix", "./modules/slow.nix"'),
  );
  try {
    const run = startGroup(nixHive('build', '-c', dir, 'www-1'), env);
    const sleeping = () => hostProcesses(fleet.hosts.builder!, /^\/bin\/sleep 47$/);
    for (const t0 = Date.now(); sleeping().length === 0; await sleep(50))
      if (Date.now() - t0 > 120_000 || run.child.exitCode !== null)
        throw new Error(`the build never started on the builder:\n${run.stderr()}`);
    run.signal('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 130, r.stderr);
    assert.ok(run.seen.dirs.size > 0, 'the run used an ssh session');
    await assertNothingLeft(run, dir);
  } finally {
    await writeFile(config, text);
    // The fleet hosts share this machine's /tmp, and Nix leaves an interrupted build's folder there.
    const name = `nix-build-slow-${path.basename(fleet.dir)}.drv-`;
    for (const f of await readdir('/tmp'))
      if (f.startsWith(name)) await rm(path.join('/tmp', f), { recursive: true, force: true });
  }
});
