// The text form and the fleet's summary line (lib/diff/render.ts, summary.ts): distinct packages and units
// across blocks, reboots counted per host and shown one line per set of parts, unchanged blocks not counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyServiceChanges } from '../../../lib/diff/activation.ts';
import { formatBytes, renderBlock } from '../../../lib/diff/render.ts';
import { summaryLine } from '../../../lib/diff/summary.ts';
import type { DiffBlock } from '../../../lib/diff/types.ts';

function block(o: Partial<DiffBlock> & { restart?: string[] }): DiffBlock {
  const services = { on: 'x', changes: { ...emptyServiceChanges(), restart: o.restart ?? [] } };
  return {
    systems: ['web'],
    from: '/nix/store/a',
    to: '/nix/store/b',
    instances: ['x'],
    unchanged: false,
    needsReboot: [],
    services,
    packages: {
      added: ['rg-14'],
      removed: [],
      changed: [{ name: 'nginx', from: ['1.24'], to: ['1.26'] }],
      rebuilt: [],
    },
    ...o,
  };
}

test('the summary counts distinct packages and units, hosts per block, reboots per host', () => {
  const hosts = Array.from({ length: 1200 }, (_, i) => `w${i}`);
  const blocks = [
    block({
      instances: hosts,
      restart: ['nginx.service'],
      needsReboot: hosts.slice(0, 40).map((instance) => ({ instance, parts: ['kernel'] })),
    }),
    block({
      to: '/nix/store/c',
      instances: ['api-1', 'api-2', 'api-3', 'api-4'],
      restart: ['nginx.service', 'api.service'],
      needsReboot: [{ instance: 'api-1', parts: ['kernel-params'] }],
    }),
    block({ to: '/nix/store/d', instances: ['db-1'], unchanged: true, restart: ['never.service'] }),
  ];
  blocks[1]!.packages!.removed = ['htop-3.3.0'];
  assert.equal(
    summaryLine({
      blocks,
      unreachable: [{ instance: 'gone', reason: 'timeout' }],
      unreadable: [],
      unbuilt: [],
    }),
    '2 systems change on 1,204 hosts: +1 package, \u22121, 1 upgraded, 2 services restarted, 41 hosts need a reboot; 1 host not compared',
  );
  assert.equal(
    summaryLine({ blocks: [blocks[2]!], unreachable: [], unreadable: [], unbuilt: [] }),
    'no system changes on 1 host',
  );
});

test('a block: one reboot line per set of parts, long lists cut, sizes in binary units', () => {
  const hosts = Array.from({ length: 10 }, (_, i) => `w${i}`);
  const lines = renderBlock(
    block({
      instances: hosts,
      size: {
        before: 1024 * 1024 * 1024,
        after: 1024 * 1024 * 1024 + 5 * 1024 * 1024,
        delta: 5 * 1024 * 1024,
      },
      needsReboot: hosts.map((instance) => ({ instance, parts: ['kernel', 'initrd'] })),
    }),
  );
  assert.equal(lines[0], 'web: 10 hosts (w0, w1, w2, w3, w4, w5, w6, w7 and 2 more)');
  assert.deepEqual(
    lines.filter((l) => l.includes('needs reboot')),
    ['  needs reboot: w0, w1, w2, w3, w4, w5, w6, w7 and 2 more (kernel, initrd changed)'],
  );
  assert.ok(lines.includes('  closure: 1.0 GiB \u2192 1.0 GiB (+5.0 MiB)'), lines.join('\\n'));
  assert.equal(formatBytes(-1536), '-1.5 KiB');
});
