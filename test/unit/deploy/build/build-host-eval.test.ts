// A system with a build host is evaluated on the deployer as any other: by the evaluator pool, and from the
// evaluation cache when its inputs are unchanged; only the realisation happens on the build host, of the
// very derivation the pool printed (or the cache held). Nix is a spy (lib/exec/spawn.ts is injectable), the
// build host a recording RemoteRunner. Fleet-free.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildEverywhere, type BuildWhereCtx } from '../../../../lib/deploy/build/build-systems.ts';
import type { ResolvedHive } from '../../../../lib/inventory/types.ts';
import { hive, instance } from '../../../helpers/hive.ts';
import { nixSpy, spawnResult, type NixSpy } from '../../../helpers/nix-spy.ts';
import { tempDir } from '../../../helpers/tmp.ts';

/** www is built on `builder`; portico here. Real files, so the cache can key them. */
async function setup(): Promise<ResolvedHive> {
  const root = tempDir('nix-hive-bheval-');
  const nixpkgs = tempDir('nix-hive-bheval-nixpkgs-');
  await mkdir(path.join(root, 'modules'));
  await mkdir(path.join(nixpkgs, 'nixos', 'lib'), { recursive: true });
  await writeFile(path.join(nixpkgs, 'nixos', 'lib', 'eval-config.nix'), '# stub\n{ modules }: { }\n');
  const h: ResolvedHive = {
    ...hive([instance('builder', 'builder'), instance('portico', 'portico'), instance('www-1', 'www')]),
    root,
    configFile: path.join(root, 'hive.config.ts'),
  };
  for (const name of ['www', 'portico']) {
    const file = path.join(root, 'modules', `${name}.nix`);
    await writeFile(file, `{ ... }: { networking.hostName = "${name}"; }\n`);
    h.systems[name] = { ...h.systems[name]!, modules: [file], paths: [['nixpkgs', nixpkgs]] };
  }
  h.systems.www!.build = { host: 'builder' };
  return h;
}

interface Run {
  evaluators: number;
  /** The derivations `nix copy --derivation` sent to the build host. */
  copied: string[];
  /** The derivations realised on the build host. */
  realisedThere: string[];
  /** The derivations realised here (nix-build of .drv paths). */
  realisedHere: string[];
  built: Record<string, { outPath: string; drvPath: string | undefined }>;
}

async function build(h: ResolvedHive, spy: NixSpy, names: string[]): Promise<Run> {
  const before = spy.calls.length;
  const realisedThere: string[] = [];
  const ctx: BuildWhereCtx = {
    spawn: spy.spawn,
    gcrootDir: path.join(h.root, '.hive', 'gcroots'),
    nixEnv: { NIX_PATH: undefined },
    connect: async () => {},
    nixSshOpts: '',
    remote: async (host, argv) => {
      if (argv[0] === 'nix-store' && argv[1] === '--realise') realisedThere.push(`${host} ${argv[2]}`);
      return spawnResult(argv[0]!, argv.slice(1));
    },
    evaluation: { jobs: 2, useCache: true },
  };
  const { built, failed } = await buildEverywhere(
    h,
    names,
    ctx,
    { log: spy.log, signal: new AbortController().signal },
    { settle: false },
  );
  assert.deepEqual(failed, {});
  const calls = spy.calls.slice(before);
  return {
    evaluators: spy.evaluators(before),
    copied: calls.filter((c) => c[0] === 'nix' && c.includes('--derivation')).flatMap((c) => c.slice(-1)),
    realisedThere,
    realisedHere: calls
      .filter((c) => c[0] === 'nix-build')
      .flatMap((c) => c.filter((a) => a.endsWith('.drv'))),
    built,
  };
}

test('a build-host system is evaluated by the pool, and its derivation realised on the build host', async () => {
  const h = await setup();
  const spy = nixSpy();
  const r = await build(h, spy, ['www', 'portico']);
  // One pool for both: each system evaluated once, by an evaluator worker; no other nix-instantiate.
  assert.equal(r.evaluators, 2);
  const instantiates = spy.calls.filter((c) => c[0] === 'nix-instantiate' && c[1] !== '--version');
  assert.ok(
    instantiates.every((c) => c.includes('--eval')),
    instantiates.map((c) => c.join(' ')).join('\n'),
  );
  const www = r.built.www!;
  assert.match(www.drvPath!, /^\/nix\/store\/0+\d+-s\.drv$/);
  assert.equal(www.outPath, www.drvPath!.replace(/\.drv$/, ''), 'the out path the pool printed');
  assert.deepEqual(r.copied, [www.drvPath]);
  assert.deepEqual(r.realisedThere, [`builder ${www.drvPath}`]);
  assert.deepEqual(r.realisedHere, [r.built.portico!.drvPath], 'portico alone is realised here');
});

test('an unchanged build-host system comes from the evaluation cache: no evaluator, same derivation', async () => {
  const h = await setup();
  const spy = nixSpy();
  const first = await build(h, spy, ['www']);
  assert.equal(first.evaluators, 1);
  const again = await build(h, spy, ['www']);
  assert.equal(again.evaluators, 0, 'no evaluator process');
  assert.ok(spy.lines.includes('nix-hive: www: derivation from the evaluation cache (inputs unchanged)'));
  assert.deepEqual(again.built.www, first.built.www);
  assert.deepEqual(again.realisedThere, [`builder ${first.built.www!.drvPath}`]);
  // A changed module: evaluated again, and the new derivation goes to the build host.
  await writeFile(h.systems.www!.modules[0]!, '{ ... }: { networking.hostName = "w"; }\n');
  const changed = await build(h, spy, ['www']);
  assert.equal(changed.evaluators, 1);
  assert.notEqual(changed.built.www!.drvPath, first.built.www!.drvPath);
  assert.deepEqual(changed.copied, [changed.built.www!.drvPath]);
});
