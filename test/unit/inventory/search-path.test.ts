// A per-system `nixpkgs` really wins: the resolved search path is handed to a real nix-instantiate in
// order (`-I name=value` each), and Nix takes the first match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveHive } from '../../../lib/inventory/resolve/resolve.ts';
import type { ResolvedSystem } from '../../../lib/inventory/types.ts';
import { tempDir } from '../../helpers/tmp.ts';

const dir = tempDir('nix-hive-paths-');
for (const name of ['hive-nixpkgs', 'www-nixpkgs', 'hive-extra']) {
  mkdirSync(path.join(dir, name));
  writeFileSync(path.join(dir, name, 'default.nix'), JSON.stringify(name) + '\n');
}

const hive = resolveHive(
  {
    paths: { nixpkgs: './hive-nixpkgs', extra: './hive-extra' },
    systems: {
      portico: { modules: ['./p.nix'] },
      www: { modules: ['./w.nix'], paths: { nixpkgs: './www-nixpkgs' } },
    },
  },
  path.join(dir, 'hive.config.ts'),
);

function evalWith(system: ResolvedSystem, expr: string): string {
  const args = system.paths.flatMap(([name, value]) => ['-I', `${name}=${value}`]);
  return execFileSync('nix-instantiate', ['--eval', ...args, '-E', expr], {
    env: { ...process.env, NIX_CONFIG: 'substituters =' },
    encoding: 'utf8',
  }).trim();
}

test('a system without its own nixpkgs gets the hive one', () => {
  assert.equal(evalWith(hive.systems.portico!, 'import <nixpkgs>'), '"hive-nixpkgs"');
});

test("a system's own nixpkgs wins over the hive's, and the hive's other entries remain", () => {
  assert.deepEqual(
    hive.systems.www!.paths.map(([n]) => n),
    ['nixpkgs', 'extra'],
  );
  assert.equal(evalWith(hive.systems.www!, 'import <nixpkgs>'), '"www-nixpkgs"');
  assert.equal(evalWith(hive.systems.www!, 'import <extra>'), '"hive-extra"');
});
