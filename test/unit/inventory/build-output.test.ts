// `nix-hive build --no build` prints one JSON document on stdout that schema/build-output.schema.json
// describes; the example works on a clean checkout and takes the fleet's data from NIX_HIVE_FLEET. The bin runs
// the clean checkout and the real build; the other cases run the CLI's main() in this process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import AjvModule from 'ajv';
import { buildOutput, systemsFor } from '../../../lib/cli/commands/build.ts';
import { resolveHive } from '../../../lib/inventory/resolve/resolve.ts';
import { baseConfig, CONFIG_FILE } from './fixtures.ts';
import { runInProcess } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/tmp.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = path.join(ROOT, 'bin/nix-hive.mjs');
const run = promisify(execFile);
const Ajv = AjvModule.default;
const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(
  JSON.parse(readFileSync(path.join(ROOT, 'schema/build-output.schema.json'), 'utf8')),
);

function assertValid(doc: unknown) {
  assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
}

test('the example prints the resolved inventory on stdout, nothing on stderr', async () => {
  const env = { ...process.env };
  delete env.NIX_HIVE_FLEET;
  const { stdout, stderr } = await run(process.execPath, [BIN, 'build', '--no', 'build', '-c', 'example'], {
    cwd: ROOT,
    env,
  });
  assert.equal(stderr, '');
  const doc = JSON.parse(stdout);
  assertValid(doc);
  assert.deepEqual(doc.targets, ['portico', 'storage', 'www-1', 'www-2', 'www-3']);
  assert.deepEqual(Object.keys(doc.systems), ['portico', 'www', 'storage']);
  assert.equal(doc.systems.www.outPath, null);
  assert.deepEqual(doc.systems.www.paths, [['nixpkgs', 'channel:nixos-24.11']]);
  assert.equal(doc.signingKey, path.join(ROOT, 'example/keys/hive.sec'));
  assert.deepEqual(doc.instances['www-2'], {
    name: 'www-2',
    system: 'www',
    address: '10.0.0.12',
    user: 'root',
    port: 22,
    via: 'portico',
    store: { kind: 'instance', name: 'portico' },
    tags: ['web'],
    hostKeys: [],
    ssh: {},
    keys: {
      'portico-substituter': {
        name: 'portico-substituter',
        source: 'file',
        file: path.join(ROOT, 'example/keys/portico-substituter'),
        path: '/etc/nix/portico-substituter',
        user: 'root',
        group: 'root',
        mode: '0600',
        uploadAt: 'pre-activation',
      },
    },
  });
  assert.deepEqual(doc.instances.portico.keys, {});
  assert.equal(doc.instances.portico.via, null);
  assert.equal(doc.instances.portico.store, null);
});

test('the www modules trust the example public key', () => {
  const pub = readFileSync(path.join(ROOT, 'example/keys/hive.pub'), 'utf8').trim();
  const module = readFileSync(path.join(ROOT, 'example/modules/behind-portico.nix'), 'utf8');
  assert.ok(module.includes(`trusted-public-keys = [ "${pub}" ]`));
  assert.match(module, /substituters = \[ "ssh:\/\/nix-ssh@portico/);
});

test('with NIX_HIVE_FLEET, the example takes addresses, host keys, nixpkgs, client, signing and substituter key from it', async () => {
  const dir = tempDir('nix-hive-fleet-');
  const hostKey = (n: number) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${n}`;
  const hosts = Object.fromEntries(
    ['portico', 'www-1', 'www-2', 'www-3', 'storage'].map((name, i) => [
      name,
      { address: `10.99.0.${10 + i}`, hostKey: hostKey(i) },
    ]),
  );
  writeFileSync(path.join(dir, 'hive.sec'), readFileSync(path.join(ROOT, 'example/keys/hive.sec')));
  const fleet = {
    nixpkgs: '/srv/stub-nixpkgs',
    clientKey: path.join(dir, 'client'),
    signingKey: path.join(dir, 'hive.sec'),
    substituterKey: path.join(dir, 'portico-substituter'),
    hosts,
  };
  writeFileSync(path.join(dir, 'fleet.json'), JSON.stringify(fleet));
  const r = await runInProcess(ROOT, ['build', '--no', 'build', '-c', 'example', '@web'], {
    NIX_HIVE_FLEET: path.join(dir, 'fleet.json'),
  });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assertValid(doc);
  assert.deepEqual(doc.targets, ['www-1', 'www-2', 'www-3']);
  assert.equal(doc.instances['www-3'].address, '10.99.0.13');
  assert.deepEqual(doc.instances['www-3'].hostKeys, [hostKey(3)]);
  assert.deepEqual(doc.instances['www-3'].ssh, { IdentityFile: fleet.clientKey });
  assert.deepEqual(doc.systems.storage.paths, [['nixpkgs', '/srv/stub-nixpkgs']]);
  assert.equal(doc.signingKey, fleet.signingKey);
  assert.equal(doc.instances['www-3'].keys['portico-substituter'].file, fleet.substituterKey);
});

test('built systems carry their out and drv paths; only the selected systems are built', () => {
  const hive = resolveHive(baseConfig(), CONFIG_FILE);
  assert.deepEqual(systemsFor(hive, ['www-2'], ['www-2']), ['www']);
  assert.deepEqual(systemsFor(hive, ['portico', 'www-1', 'www-2'], []), ['portico', 'www']);
  const doc = buildOutput(hive, ['www-2'], {
    www: { outPath: '/nix/store/aaaa-nixos-system-www', drvPath: '/nix/store/bbbb-nixos-system-www.drv' },
  });
  assertValid(JSON.parse(JSON.stringify(doc)));
  assert.deepEqual(doc.systems.www, {
    ...hive.systems.www,
    outPath: '/nix/store/aaaa-nixos-system-www',
    drvPath: '/nix/store/bbbb-nixos-system-www.drv',
    cached: null,
  });
  assert.equal((doc.systems.portico as { outPath: unknown }).outPath, null);
  const withUri = resolveHive(
    { ...baseConfig(), instances: { c: { system: 'www', address: 'c', store: 's3://bucket' } } },
    CONFIG_FILE,
  );
  assertValid(JSON.parse(JSON.stringify(buildOutput(withUri, ['c'], {}))));
});

test('a real build of the example (stub nixpkgs): out and drv paths in the JSON, progress on stderr only', async () => {
  const dir = tempDir('nix-hive-build-');
  cpSync(path.join(ROOT, 'example'), path.join(dir, 'example'), { recursive: true });
  const hosts = Object.fromEntries(
    ['portico', 'www-1', 'www-2', 'www-3', 'storage'].map((name, i) => [
      name,
      { address: `10.98.0.${10 + i}`, hostKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${i}` },
    ]),
  );
  const fleet = {
    nixpkgs: path.join(ROOT, 'test/fixtures/nixpkgs'),
    clientKey: path.join(dir, 'client'),
    hosts,
  };
  writeFileSync(path.join(dir, 'fleet.json'), JSON.stringify(fleet));
  const { stdout, stderr } = await run(process.execPath, [BIN, 'build', '-c', 'example', 'www-2'], {
    cwd: dir,
    env: { ...process.env, NIX_HIVE_FLEET: path.join(dir, 'fleet.json'), NIX_CONFIG: 'substituters =' },
  });
  const doc = JSON.parse(stdout);
  assertValid(doc);
  assert.deepEqual(doc.targets, ['www-2']);
  assert.match(doc.systems.www.outPath, /^\/nix\/store\/[a-z0-9]{32}-nixos-system-/);
  assert.match(doc.systems.www.drvPath, /^\/nix\/store\/[a-z0-9]{32}-.*\.drv$/);
  assert.equal(doc.systems.portico.outPath, null, 'only the selected systems are built');
  assert.match(stderr, /^nix-hive: building 1 system\(s\): www$/m);
  assert.equal(readlinkSync(path.join(dir, 'example/.hive/gcroots/www')), doc.systems.www.outPath);
});

test('build --no build shows what hive.state caches, and whether it is still current', async () => {
  const { loadHive } = await import('../../../lib/inventory/index.ts');
  const { systemFingerprint } = await import('../../../lib/state/fingerprint.ts');
  const hive = await loadHive(path.join(ROOT, 'example'));
  const dir = tempDir('nix-hive-build-state-');
  const stateFile = path.join(dir, 'hive.state');
  const www = '/nix/store/00000000000000000000000000000000-nixos-system-www';
  writeFileSync(
    stateFile,
    JSON.stringify({
      version: 2,
      systems: {
        www: {
          outPath: www,
          drvPath: null,
          fingerprint: await systemFingerprint(hive.systems.www!),
          builtAt: 't1',
        },
        portico: { outPath: '/nix/store/1-portico', drvPath: null, fingerprint: 'sha256-old', builtAt: 't0' },
      },
      instances: {},
    }),
  );
  const r = await runInProcess(ROOT, ['build', '--no', 'build', '-c', 'example', '--state', stateFile], {
    NIX_HIVE_FLEET: undefined,
  });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assertValid(doc);
  assert.deepEqual(doc.systems.www.cached, { outPath: www, drvPath: null, builtAt: 't1', current: true });
  assert.equal(doc.systems.portico.cached.current, false);
  assert.equal(doc.systems.storage.cached, null);
  assert.equal(doc.systems.www.outPath, null, 'nothing was built');
});
