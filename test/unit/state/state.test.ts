import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { migrateState } from '../../../lib/state/migrate.ts';
import { readState, StateFile, writeFileAtomic } from '../../../lib/state/store.ts';
import { emptyState, STATE_VERSION } from '../../../lib/state/types.ts';
import { nixPathLiterals, systemFingerprint } from '../../../lib/state/fingerprint.ts';
import { HiveError } from '../../../lib/errors.ts';
import { tempDir } from '../../helpers/tmp.ts';

const tmp = async () => tempDir('nix-hive-state-');

test('atomic write: the file is replaced whole and no temp file is left', async () => {
  const dir = await tmp();
  const f = path.join(dir, 'hive.state');
  await writeFile(f, 'old');
  await writeFileAtomic(f, 'new content');
  assert.equal(await readFile(f, 'utf8'), 'new content');
  assert.deepEqual(await readdir(dir), ['hive.state']);
});

test('a missing state file reads as empty; a torn or foreign one is a clear error', async () => {
  const dir = await tmp();
  assert.deepEqual(await readState(path.join(dir, 'none')), emptyState());
  await writeFile(path.join(dir, 'bad'), '{"version": 2, "systems": {');
  await assert.rejects(
    readState(path.join(dir, 'bad')),
    (e: unknown) => e instanceof HiveError && /not valid JSON/.test(e.message),
  );
  await writeFile(path.join(dir, 'future'), '{"version": 99}');
  await assert.rejects(readState(path.join(dir, 'future')), /newer than this nix-hive understands/);
});

test('migration from version 1 keeps the build results', () => {
  const s = migrateState({ version: 1, builds: { www: '/nix/store/x-www', bad: 3 } }, 'hive.state');
  assert.equal(s.version, STATE_VERSION);
  assert.deepEqual(s.systems, {
    www: { outPath: '/nix/store/x-www', drvPath: undefined, fingerprint: '', builtAt: '' },
  });
  assert.deepEqual(s.instances, {});
  assert.throws(() => migrateState({ version: 'x' }, 'f'), /unknown state version "x"/);
});

test('coalesced saves: many changes, few writes, the last content on disk', async () => {
  const dir = await tmp();
  const f = path.join(dir, 'hive.state');
  const sf = await StateFile.open(f);
  for (let i = 0; i < 500; i++) {
    sf.state.systems[`s${i}`] = {
      outPath: `/nix/store/${i}`,
      drvPath: undefined,
      fingerprint: 'x',
      builtAt: 'now',
    };
    sf.save();
  }
  await sf.flush();
  assert.ok(sf.writes >= 1 && sf.writes < 50, `writes: ${sf.writes}`);
  const back = await readState(f);
  assert.equal(Object.keys(back.systems).length, 500);
  assert.deepEqual(await readdir(dir), ['hive.state']);
});

test('fingerprint follows relative imports and changes when one changes', async () => {
  const dir = await tmp();
  await mkdir(path.join(dir, 'common'));
  await writeFile(path.join(dir, 'www.nix'), '{ imports = [ ./common ../x/y.nix ]; } # ./ignored.nix');
  await writeFile(path.join(dir, 'common', 'default.nix'), '{ imports = [ ./nginx.nix ]; }');
  await writeFile(path.join(dir, 'common', 'nginx.nix'), '{ services.nginx.enable = true; }');
  assert.deepEqual(nixPathLiterals('{ imports = [ ./a.nix "./not" ../b ]; x = a/b; } # ./c', '/h/m.nix'), [
    '/h/a.nix',
    '/h/not',
    '/b',
  ]);
  const sys = {
    name: 'www',
    system: 'x86_64-linux',
    paths: [['nixpkgs', '/n']] as Array<[string, string]>,
    modules: [path.join(dir, 'www.nix')],
  };
  const a = await systemFingerprint(sys);
  assert.equal(await systemFingerprint(sys), a);
  await writeFile(path.join(dir, 'common', 'nginx.nix'), '{ services.nginx.enable = false; }');
  const b = await systemFingerprint(sys);
  assert.notEqual(a, b);
  assert.notEqual(await systemFingerprint({ ...sys, paths: [['nixpkgs', '/other']] }), b);
});
