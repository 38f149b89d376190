// Which nix invocations a set of systems needs, and their exact argv: search paths compared as sets
// (unless a name is a prefix of another), build.builders and build.maxJobs reaching the local build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveHive } from '../../../lib/inventory/resolve/resolve.ts';
import { groupArgv, groupSystems } from '../../../lib/nix/build-groups.ts';

const hive = (systems: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  resolveHive({ systems, ...extra } as any, '/hive/hive.config.ts');

test('systems whose search paths hold the same entries in another order share one nix-build', () => {
  const h = hive({
    a: { modules: ['./a.nix'], paths: { nixpkgs: '/np', extra: '/x' } },
    b: { modules: ['./b.nix'], paths: { extra: '/x', nixpkgs: '/np' } },
  });
  assert.equal(groupSystems(Object.values(h.systems)).length, 1);
  const c = hive({
    a: { modules: ['./a.nix'], paths: { nixpkgs: '/np', extra: '/x' } },
    b: { modules: ['./b.nix'], paths: { extra: '/y', nixpkgs: '/np' } },
  });
  assert.equal(groupSystems(Object.values(c.systems)).length, 2, 'different entries: two calls');
});

test('build.builders and build.maxJobs reach nix-build as options (system keys over hive keys)', () => {
  const h = hive(
    {
      www: { modules: ['./www.nix'] },
      big: {
        modules: ['./big.nix'],
        build: { builders: ['ssh://b1 x86_64-linux', 'ssh://b2 x86_64-linux 4'] },
      },
    },
    { paths: { nixpkgs: '/np' }, build: { builders: 'ssh://farm x86_64-linux', maxJobs: 0 } },
  );
  const groups = groupSystems(Object.values(h.systems));
  assert.equal(groups.length, 2);
  assert.deepEqual(groupArgv(groups[0]!, '/e/hive.nix', '/t/spec.json'), {
    command: 'nix-build',
    args: [
      '/e/hive.nix',
      '--argstr',
      'specFile',
      '/t/spec.json',
      '-I',
      'nixpkgs=/np',
      '-A',
      's0',
      '--option',
      'builders',
      'ssh://farm x86_64-linux',
      '--max-jobs',
      '0',
      '--no-out-link',
    ],
  });
  assert.deepEqual(groupArgv(groups[1]!, '/e/hive.nix', '/t/spec.json').args.slice(6, 12), [
    '-A',
    's0',
    '--option',
    'builders',
    'ssh://b1 x86_64-linux ; ssh://b2 x86_64-linux 4',
    '--max-jobs',
  ]);
});

test('flake systems: one nix build for all, lock never rewritten, builders passed the same way', () => {
  const h = hive(
    { portico: { flake: '.#portico' }, www: { flake: 'github:org/fleet#www' } },
    { build: { builders: 'ssh://farm x86_64-linux' } },
  );
  const groups = groupSystems(Object.values(h.systems));
  assert.equal(groups.length, 1);
  assert.deepEqual(groupArgv(groups[0]!, '/e/hive.nix', '/t/spec.json'), {
    command: 'nix',
    args: [
      '--extra-experimental-features',
      'nix-command flakes',
      'build',
      '--json',
      '--no-link',
      '--no-update-lock-file',
      '--option',
      'builders',
      'ssh://farm x86_64-linux',
      '/hive#nixosConfigurations.portico.config.system.build.toplevel',
      'github:org/fleet#nixosConfigurations.www.config.system.build.toplevel',
    ],
  });
});

test('a nixosConfigurations name with dots is quoted in the installable', () => {
  const h = hive({ web: { flake: '.#web.example.com' } });
  assert.deepEqual(
    groupArgv(groupSystems(Object.values(h.systems))[0]!, '/e', '/s').args.at(-1),
    '/hive#nixosConfigurations."web.example.com".config.system.build.toplevel',
  );
});
