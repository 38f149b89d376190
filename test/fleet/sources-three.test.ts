// The seed scenario deployed from three kinds of sources to one real fleet: hive.config.ts (modules),
// the seed's own default.nix (nix-hive 0.1 format: ssh Hostname/ProxyJump, store = "ssh://portico") and a
// flake (nixosConfigurations, hive-level `flake: '.'`). Same plan, same systems, same outcome; each
// source is really read and evaluated its own way (nix-instantiate of the facts, the pool's nix-instantiate
// workers, `nix eval` per flake system), then built in one nix-build of the .drvs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BIN, cli, reportOf, systemLinks } from './support/seed-fleet.ts';
import { useSeedFleet } from './support/use-fleet.ts';
import { run } from './harness/proc.ts';
import { SCENARIO, writeSources, type Sources } from './support/sources.ts';

let src: Sources;
const plans: Record<string, unknown> = {};
const systems: Record<string, Record<string, string>> = {};

const seed = useSeedFleet({ wired: ['www-1', 'www-2', 'www-3'] }, async () => {
  src = await writeSources(seed.fleet, path.join(seed.fleet.dir, 'sources'), seed.env);
});

for (const kind of ['ts', 'seed', 'flake'] as const) {
  test(`${kind}: plans and deploys portico, then www-1..3 through it`, async () => {
    const dir = src[kind];
    const plan = await run([process.execPath, BIN, 'plan', '-c', dir, '--json', 'portico', '*'], {
      env: seed.env,
    });
    assert.equal(plan.exitCode, 0, plan.stderr);
    plans[kind] = JSON.parse(plan.stdout);
    const lockBefore = kind === 'flake' ? await readFile(path.join(dir, 'flake.lock')) : undefined;

    await seed.resetCalls();
    const r = await cli(['deploy', '-c', dir, '--json', 'portico', '*'], seed.env);
    assert.equal(r.exitCode, 0, `deploy failed:\n${r.stderr}\n${r.stdout.slice(-3000)}`);
    const report = reportOf(r);
    assert.deepEqual(
      report.instances.map((i: any) => [i.instance, i.system, i.outcome]),
      SCENARIO.map((n) => [n, n === 'portico' ? 'portico' : 'www', 'ok']),
    );
    systems[kind] = Object.fromEntries(
      Object.entries(report.systems).map(([n, s]: [string, any]) => [n, s.outPath]),
    );
    for (const n of SCENARIO) {
      const links = await systemLinks(seed.fleet, n);
      assert.equal(links.current, systems[kind]![n === 'portico' ? 'portico' : 'www'], `${n} runs it`);
    }
    // Each www host substituted through portico's store: ordered through the instance store names.
    const order = r.events.filter((e) => e.kind === 'step-end').map((e) => e.step as string);
    assert.ok(order.indexOf('copy:www>portico') < order.indexOf('copy:www>www-1'), order.join(' '));
    assert.ok(order.indexOf('activate:portico') < order.indexOf('activate:www-1'), order.join(' '));

    const calls = await seed.calls();
    // Evaluated by the pool, then one realisation of both derivations.
    const builds = calls.filter((c) => /^nix-build |^nix .* build /.test(c));
    assert.equal(builds.length, 1, `one build invocation for both systems:\n${calls.join('\n')}`);
    assert.match(builds[0]!, /^nix-build (\/nix\/store\/\S+\.drv ){2}--no-out-link$/);
    if (kind === 'flake') {
      const evals = calls.filter((c) =>
        /^nix .*'?nix-command flakes'? eval --json --no-update-lock-file \S+\.toplevel --apply /.test(c),
      );
      assert.equal(evals.length, 2, calls.join('\n'));
      assert.ok(evals.some((c) => c.includes('#nixosConfigurations.portico.config.system.build.toplevel')));
      assert.ok(evals.some((c) => c.includes('#nixosConfigurations.www.config.system.build.toplevel')));
      // The lock is honoured and never rewritten.
      assert.deepEqual(await readFile(path.join(dir, 'flake.lock')), lockBefore);
    } else
      assert.ok(
        calls.some((c) => /^nix-instantiate --eval --read-write-mode \S+eval-worker\.nix /.test(c)),
        calls.join('\n'),
      );
    if (kind === 'seed')
      assert.ok(
        calls.some(
          (c) => c.startsWith('nix-instantiate --eval --json --strict') && c.includes('default.nix'),
        ),
        calls.join('\n'),
      );
  });
}

test('the three sources give the same plan and the same systems', () => {
  for (const kind of ['ts', 'seed', 'flake']) assert.ok(plans[kind] && systems[kind], `${kind} was deployed`);
  assert.deepEqual(plans.seed, plans.ts);
  assert.deepEqual(plans.flake, plans.ts);
  assert.deepEqual(systems.seed, systems.ts);
  assert.deepEqual(systems.flake, systems.ts);
});

test('a Nix error in one system fails only that system, with Nix’s message; the others build and deploy', async () => {
  const dir = path.join(seed.fleet.dir, 'sources', 'ts-broken');
  await cp(src.ts, dir, { recursive: true });
  await rm(path.join(dir, '.hive'), { recursive: true, force: true });
  await writeFile(path.join(dir, 'modules', 'broken.nix'), '{ ... }:\n{\n  networking.hostName = ;\n}\n');
  const config = await readFile(path.join(dir, 'hive.config.ts'), 'utf8');
  await writeFile(
    path.join(dir, 'hive.config.ts'),
    config
      .replace(
        "www: { modules: ['./modules/www.nix'] },",
        "$&\n    broken: { modules: ['./modules/broken.nix'] },",
      )
      .replace(/("www-3": \{\s*"system": )"www"/, '$1"broken"'),
  );
  await seed.resetCalls();
  const r = await cli(['deploy', '-c', dir, '--json', '--no-state', 'portico', '*'], seed.env);
  assert.equal(r.exitCode, 1, r.stderr);
  const report = reportOf(r);
  const by = Object.fromEntries(report.instances.map((i: any) => [i.instance, i]));
  for (const n of ['portico', 'www-1', 'www-2']) assert.equal(by[n].outcome, 'ok', `${n}: ${by[n].reason}`);
  assert.equal(by['www-3'].outcome, 'failed');
  assert.match(by['www-3'].reason, /syntax error, unexpected ';'.*broken\.nix/);
  assert.doesNotMatch(by['www-3'].reason, /show-trace/);
  const buildEnds = r.events.filter((e) => e.kind === 'step-end' && String(e.step).startsWith('build:'));
  assert.deepEqual(Object.fromEntries(buildEnds.map((e) => [e.step, e.outcome])), {
    'build:portico': 'ok',
    'build:www': 'ok',
    'build:broken': 'failed',
  });
  // The pool evaluated all three; only the two that evaluated were realised, in one call.
  const calls = (await seed.calls()).filter((c) => /^nix-(build|instantiate) /.test(c));
  assert.ok(calls.some((c) => /^nix-instantiate --eval --read-write-mode \S+eval-worker\.nix /.test(c)));
  const builds = calls.filter((c) => c.startsWith('nix-build '));
  assert.equal(builds.length, 1, calls.join('\n'));
  assert.match(builds[0]!, /^nix-build (\/nix\/store\/\S+\.drv ){2}--no-out-link$/);
});
