import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveHive } from '../../../lib/inventory/resolve.ts';
import type { HiveConfig } from '../../../lib/inventory/types.ts';
import { CONFIG_FILE, problemLines } from './fixtures.ts';

/** 50k instances: 500 store hosts behind one jump box, each serving 99 instances behind it. */
function big(): HiveConfig {
  const c: HiveConfig = {
    signingKey: './k',
    defaults: { ssh: { ServerAliveInterval: 15 } },
    systems: { edge: { modules: ['./e.nix'] }, www: { modules: ['./w.nix'] } },
    instances: { gw: { system: 'edge', address: 'gw' } },
  };
  for (let i = 0; i < 50_000; i++) {
    const hub = `hub-${Math.floor(i / 100)}`;
    c.instances![i % 100 === 0 ? hub : `n-${i}`] =
      i % 100 === 0
        ? { system: 'edge', address: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, via: 'gw', store: 'gw' }
        : { system: 'www', address: `h${i}`, via: hub, store: hub, tags: ['web'] };
  }
  return c;
}

test('resolving 50k instances is linear (well under the budget)', () => {
  const c = big();
  const t0 = performance.now();
  const h = resolveHive(c, CONFIG_FILE);
  const ms = performance.now() - t0;
  assert.equal(Object.keys(h.instances).length, 50_001);
  assert.ok(ms < 5000, `resolve took ${ms} ms`);
});

test('an error among 50k instances is found and suggested quickly', () => {
  const c = big();
  c.instances!['n-49999']!.store = 'hub-4999';
  c.instances!['n-49998']!.via = 'hub-49';
  c.instances!['hub-0']!.via = 'n-1'; // n-1 → hub-0 → n-1
  const t0 = performance.now();
  const lines = problemLines(() => resolveHive(c, CONFIG_FILE));
  const ms = performance.now() - t0;
  assert.deepEqual(lines, [
    'instances.n-49999.store: unknown instance "hub-4999" (did you mean "hub-499"?)',
    'instances.hub-0.via: cycle: hub-0 → n-1 → hub-0',
  ]);
  assert.ok(ms < 8000, `took ${ms} ms`);
});
