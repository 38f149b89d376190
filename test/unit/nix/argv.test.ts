import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addRootArgv,
  copyArgv,
  nixBuildArgv,
  pathInfoArgv,
  showConfigArgv,
  signArgv,
} from '../../../lib/nix/argv.ts';
import { GOALS, changesRunningSystem, isGoal, isPreview, setsProfile } from '../../../lib/nix/goal.ts';
import { buildSpec, groupBySearchPath } from '../../../lib/nix/build.ts';
import { startActivationArgv, waitActivationArgv } from '../../../lib/nix/detached.ts';
import { seedHive } from '../../helpers/hive.ts';

const SYS = '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-www';

test('activation argv for every goal: the profile is set for switch and boot only, the goal goes through', () => {
  for (const goal of GOALS) {
    const argv = startActivationArgv('20261125T205407Z-www-1', SYS, goal);
    assert.equal(argv[0], 'sh');
    assert.equal(argv[1], '-c');
    assert.deepEqual(argv.slice(-6), [
      '/run/nix-hive',
      '20261125T205407Z-www-1',
      '/nix/var/nix/profiles/system',
      SYS,
      goal,
      goal === 'switch' || goal === 'boot' ? '1' : '0',
    ]);
    assert.match(argv[2]!, /nix-env -p "\$profile" --set "\$path"/);
    assert.match(argv[2]!, /systemd-run .*\n.*switch-to-configuration" "\$goal"/);
    assert.match(argv[2]!, /setsid -f sh -c "\$wrapper" .* "\$path\/bin\/switch-to-configuration" "\$goal"/);
  }
  // The wait's limit in whole seconds, rounded up: it blocks, so no poll count.
  assert.deepEqual(waitActivationArgv('r-1', 2).slice(-3), ['/run/nix-hive', 'r-1', '2']);
  assert.deepEqual(waitActivationArgv('r-1', 2.2).slice(-1), ['3']);
  assert.deepEqual(waitActivationArgv('r-1', 0).slice(-1), ['1']);
});

test('goal predicates', () => {
  assert.deepEqual(GOALS.filter(setsProfile), ['switch', 'boot']);
  assert.deepEqual(GOALS.filter(changesRunningSystem), ['switch', 'test']);
  assert.deepEqual(GOALS.filter(isPreview), ['dry-activate']);
  assert.ok(isGoal('boot'));
  assert.ok(!isGoal('reboot'));
});

test('nix-build: one call, search path in order, one -A per system, spec passed as a file', () => {
  assert.deepEqual(
    nixBuildArgv({
      expressionFile: '/lib/hive.nix',
      specFile: '/tmp/spec.json',
      searchPath: [
        ['nixpkgs', '/pinned/nixpkgs'],
        ['nixpkgs', '/hive/nixpkgs'],
        ['secrets', 'https://example.org/s.tar.gz'],
      ],
      attrs: ['www', 'portico'],
    }),
    {
      command: 'nix-build',
      args: [
        '/lib/hive.nix',
        '--argstr',
        'specFile',
        '/tmp/spec.json',
        '-I',
        'nixpkgs=/pinned/nixpkgs',
        '-I',
        'nixpkgs=/hive/nixpkgs',
        '-I',
        'secrets=https://example.org/s.tar.gz',
        '-A',
        'www',
        '-A',
        'portico',
        '--no-out-link',
      ],
    },
  );
});

test('systems sharing a search path are built by one call', () => {
  const h = seedHive();
  const groups = groupBySearchPath(Object.values(h.systems));
  assert.equal(groups.length, 1);
  h.systems.www!.paths = [
    ['nixpkgs', '/other'],
    ['nixpkgs', '/nixpkgs'],
  ];
  assert.equal(groupBySearchPath(Object.values(h.systems)).length, 2);
  assert.deepEqual(buildSpec([h.systems.portico!, h.systems.www!]), {
    systems: {
      s0: { name: 'portico', system: 'x86_64-linux', modules: ['/hive/portico.nix'] },
      s1: { name: 'www', system: 'x86_64-linux', modules: ['/hive/www.nix'] },
    },
  });
});

test('sign, copy, root and query argv', () => {
  assert.deepEqual(signArgv('/k/hive.sec', SYS), {
    command: 'nix',
    args: [
      '--extra-experimental-features',
      'nix-command flakes',
      'store',
      'sign',
      '--recursive',
      '--key-file',
      '/k/hive.sec',
      SYS,
    ],
  });
  assert.deepEqual(copyArgv('ssh://www-1', SYS, true), {
    command: 'nix',
    args: [
      '--extra-experimental-features',
      'nix-command flakes',
      'copy',
      '--to',
      'ssh://www-1',
      '--substitute-on-destination',
      SYS,
    ],
  });
  assert.deepEqual(copyArgv('s3://cache', SYS, false).args.slice(2), ['copy', '--to', 's3://cache', SYS]);
  assert.deepEqual(addRootArgv(SYS, '/hive/.hive/gcroots/www'), {
    command: 'nix-store',
    args: ['--realise', SYS, '--add-root', '/hive/.hive/gcroots/www', '--indirect'],
  });
  assert.deepEqual(showConfigArgv(), [
    'nix',
    '--extra-experimental-features',
    'nix-command flakes',
    'show-config',
    '--json',
  ]);
  assert.deepEqual(pathInfoArgv('ssh://root@10.1.0.1', SYS), [
    'nix',
    '--extra-experimental-features',
    'nix-command flakes',
    'path-info',
    '--store',
    'ssh://root@10.1.0.1',
    SYS,
  ]);
});

test('evaluation and realisation argv: a worker writes .drvs (--read-write-mode); one nix-build of them all', async () => {
  const { evalWorkerArgv, realiseArgv, nixVersionArgv } = await import('../../../lib/nix/argv.ts');
  const { flakeEvalPathsArgv } = await import('../../../lib/nix/flake-argv.ts');
  assert.deepEqual(
    evalWorkerArgv({ expressionFile: '/e/w.nix', specFile: '/t/s.json', searchPath: [['nixpkgs', '/np']] }),
    {
      command: 'nix-instantiate',
      args: [
        '--eval',
        '--read-write-mode',
        '/e/w.nix',
        '--argstr',
        'specFile',
        '/t/s.json',
        '-I',
        'nixpkgs=/np',
      ],
    },
  );
  assert.deepEqual(realiseArgv(['/nix/store/a.drv', '/nix/store/b.drv'], { builders: '', maxJobs: 0 }), {
    command: 'nix-build',
    args: [
      '/nix/store/a.drv',
      '/nix/store/b.drv',
      '--option',
      'builders',
      '',
      '--max-jobs',
      '0',
      '--no-out-link',
    ],
  });
  assert.deepEqual(nixVersionArgv(), { command: 'nix-instantiate', args: ['--version'] });
  assert.deepEqual(flakeEvalPathsArgv('/f#nixosConfigurations.www.config.system.build.toplevel'), {
    command: 'nix',
    args: [
      '--extra-experimental-features',
      'nix-command flakes',
      'eval',
      '--json',
      '--no-update-lock-file',
      '/f#nixosConfigurations.www.config.system.build.toplevel',
      '--apply',
      'd: [ d.drvPath d.outPath ]',
    ],
  });
});
