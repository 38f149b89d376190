// Grouping by (running → new) pair and one block from its readings (lib/diff/group.ts, block.ts): every
// distinct pair once, sizes summed from NAR sizes, bytes to copy, reboot parts per instance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupPairs } from '../../../lib/diff/group.ts';
import { diffBlock, rebootParts } from '../../../lib/diff/block.ts';
import type { BootPart, InstanceReading } from '../../../lib/diff/types.ts';

const boot = (k: string): Record<BootPart, string> => ({
  kernel: `/nix/store/k-${k}`,
  initrd: `/nix/store/i-${k}`,
  'kernel-modules': `/nix/store/m-${k}`,
  'kernel-params': 'quiet',
});
const none: Record<BootPart, string> = { kernel: '', initrd: '', 'kernel-modules': '', 'kernel-params': '' };
const reading = (instance: string, system: string, running: string | null, k = '1'): InstanceReading => ({
  instance,
  system,
  running,
  booted: boot(k),
});

test('instances group by (running, new) pair; systems sharing a build share a block', () => {
  const built: Record<string, string> = { web: '/nix/store/w2', api: '/nix/store/a2', web2: '/nix/store/w2' };
  const pairs = groupPairs(
    [
      reading('w1', 'web', '/nix/store/w1'),
      reading('a1', 'api', '/nix/store/w1'),
      reading('w2', 'web', '/nix/store/w1'),
      reading('w3', 'web2', '/nix/store/w1'),
      reading('w4', 'web', '/nix/store/old'),
      reading('x', 'web', null),
    ],
    (s) => built[s]!,
  );
  assert.deepEqual(
    pairs.map((p) => [p.from, p.to, p.systems, p.members.map((m) => m.instance)]),
    [
      ['/nix/store/w1', '/nix/store/w2', ['web', 'web2'], ['w1', 'w2', 'w3']],
      ['/nix/store/w1', '/nix/store/a2', ['api'], ['a1']],
      ['/nix/store/old', '/nix/store/w2', ['web'], ['w4']],
    ],
  );
});

test('a block: sizes, bytes to copy, reboots per instance, services', () => {
  const [pair] = groupPairs(
    [reading('a', 'web', '/nix/store/old', '1'), reading('b', 'web', '/nix/store/old', '2')],
    () => '/nix/store/new',
  );
  const block = diffBlock(pair!, {
    on: 'a',
    before: [
      { path: '/nix/store/old', narSize: 100 },
      { path: '/nix/store/k-1', narSize: 1000 },
    ],
    after: [
      { path: '/nix/store/new', narSize: 150 },
      { path: '/nix/store/k-2', narSize: 1200 },
    ],
    missing: ['/nix/store/k-2'],
    targetBoot: boot('2'),
    dryActivate: { output: 'would restart the following units: nginx.service\n' },
  });
  assert.deepEqual(block.size, { before: 1100, after: 1350, delta: 250 });
  assert.deepEqual(block.toCopy, { bytes: 1200, paths: 1, on: 'a' });
  assert.deepEqual(block.needsReboot, [{ instance: 'a', parts: ['kernel', 'initrd', 'kernel-modules'] }]);
  assert.deepEqual(block.services && 'changes' in block.services && block.services.changes.restart, [
    'nginx.service',
  ]);
  assert.equal(block.unchanged, false);
});

test('reboot parts: kernel parameters count; an unknown booted system is not guessed', () => {
  assert.deepEqual(rebootParts(boot('1'), { ...boot('1'), 'kernel-params': 'quiet mitigations=off' }), [
    'kernel-params',
  ]);
  assert.deepEqual(rebootParts(none, boot('1')), []);
});
