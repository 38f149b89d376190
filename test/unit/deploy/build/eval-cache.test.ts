// The evaluation cache decides right: with a spy in place of Nix (lib/exec/spawn.ts is injectable), a change
// to a module, a file it imports (relative, absolute, or found through readDir), a search path entry's content,
// the Nix version, or a .drv gone from the store makes the system evaluated again; nothing changed: no
// evaluator process runs. Fleet-free.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildSystemsSettled } from '../../../../lib/nix/build.ts';
import { evalCache } from '../../../../lib/deploy/build/eval-cache.ts';
import type { ResolvedHive } from '../../../../lib/inventory/types.ts';
import { hive, instance } from '../../../helpers/hive.ts';
import { nixSpy, type NixSpy } from '../../../helpers/nix-spy.ts';
import { tempDir } from '../../../helpers/tmp.ts';

async function setup() {
  const root = tempDir('nix-hive-evalcache-');
  const outside = tempDir('nix-hive-evalcache-shared-');
  const nixpkgs = tempDir('nix-hive-evalcache-nixpkgs-');
  await mkdir(path.join(root, 'modules', 'hosts'), { recursive: true });
  await mkdir(path.join(nixpkgs, 'nixos', 'lib'), { recursive: true });
  const files = {
    module: path.join(root, 'modules', 'www.nix'),
    imported: path.join(root, 'modules', 'common.nix'),
    readDir: path.join(root, 'modules', 'hosts', 'www-extra.nix'),
    absolute: path.join(outside, 'shared.nix'),
    searchPath: path.join(nixpkgs, 'nixos', 'lib', 'eval-config.nix'),
  };
  await writeFile(
    files.module,
    `{ lib, ... }: {\n  imports = [ ./common.nix ${files.absolute} ] ++ map (f: ./hosts + "/\${f}") (lib.attrNames (builtins.readDir ./hosts));\n}\n`,
  );
  await writeFile(files.imported, '{ ... }: { networking.hostName = "www"; }\n');
  await writeFile(files.readDir, '{ ... }: { }\n');
  await writeFile(files.absolute, '{ ... }: { }\n');
  await writeFile(files.searchPath, '# stub\n{ modules }: { }\n');
  const h: ResolvedHive = {
    ...hive([instance('www-1', 'www')]),
    root,
    configFile: path.join(root, 'hive.config.ts'),
  };
  h.systems.www = {
    ...h.systems.www!,
    modules: [files.module],
    paths: [['nixpkgs', nixpkgs]],
  };
  return { h, root, files };
}

/** One `nix-hive build` of www with the cache on; how many evaluator processes it started. */
async function build(h: ResolvedHive, spy: NixSpy): Promise<number> {
  const before = spy.calls.length;
  const { built, failed } = await buildSystemsSettled(h, ['www'], {
    spawn: spy.spawn,
    gcrootDir: path.join(h.root, '.hive', 'gcroots'),
    env: { NIX_PATH: undefined },
    onLine: spy.log,
    eval: { jobs: 2, cache: evalCache(h, { spawn: spy.spawn, env: { NIX_PATH: undefined } }) },
  });
  assert.deepEqual(failed, {});
  assert.ok(built.www?.drvPath);
  return spy.evaluators(before);
}

test('evaluation cache: each input change evaluates again; no change runs no evaluator', async () => {
  const { h, files } = await setup();
  const spy = nixSpy();
  assert.equal(await build(h, spy), 1, 'first build evaluates');
  assert.ok(spy.lines.includes('nix-hive: evaluating www: not evaluated before'), spy.lines.join('\n'));
  assert.equal(await build(h, spy), 0, 'unchanged: no evaluator process');
  const changes: Array<[string, () => Promise<void> | void]> = [
    ['the module', () => writeFileWith(files.module, (s) => s + '# edited\n')],
    ['a file it imports', () => writeFile(files.imported, '{ ... }: { networking.hostName = "w"; }\n')],
    ['a file it finds with readDir', () => writeFile(files.readDir, '{ ... }: { x = 1; }\n')],
    ['an absolute import outside the hive', () => writeFile(files.absolute, '{ ... }: { y = 1; }\n')],
    ['a search path entry’s content', () => writeFile(files.searchPath, '# stub 2\n{ modules }: { }\n')],
    ['the Nix version', () => void (spy.version = 'nix-instantiate (Nix) 2.18.1')],
  ];
  for (const [what, change] of changes) {
    await change();
    assert.equal(await build(h, spy), 1, `${what} changed: evaluated again`);
    assert.equal(spy.lines.at(-1), 'nix-hive: evaluating www: its inputs changed');
    assert.equal(await build(h, spy), 0, `after ${what}: unchanged again, from the cache`);
  }
});

test('evaluation cache: a .drv gone from the store is evaluated again (the cache is not the truth)', async () => {
  const { h } = await setup();
  const spy = nixSpy();
  assert.equal(await build(h, spy), 1);
  const cache = JSON.parse(await readFile(path.join(h.root, '.hive', 'eval-cache.json'), 'utf8')) as {
    systems: Record<string, { drvPath: string }>;
  };
  spy.invalid.add(cache.systems.www!.drvPath);
  assert.equal(await build(h, spy), 1);
});

/** writeFile with a function of the old content. */
async function writeFileWith(file: string, edit: (s: string) => string): Promise<void> {
  await writeFile(file, edit(await readFile(file, 'utf8')));
}
