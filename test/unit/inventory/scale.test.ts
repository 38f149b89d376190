import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveHive } from '../../../lib/inventory/resolve/resolve.ts';
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

// How fast is a bench figure (`just bench`, the scale section), not an assertion here: these cases prove
// the results at that size (a quadratic pass would not finish within the suite).
test('resolving 50k instances resolves every one of them', () => {
  const h = resolveHive(big(), CONFIG_FILE);
  assert.equal(Object.keys(h.instances).length, 50_001);
  assert.deepEqual(h.instances['n-49999']!.store, { kind: 'instance', name: 'hub-499' });
});

test('errors among 50k instances are found and suggested', () => {
  const c = big();
  c.instances!['n-49999']!.store = 'hub-4999';
  c.instances!['n-49998']!.via = 'hub-49';
  c.instances!['hub-0']!.via = 'n-1'; // n-1 → hub-0 → n-1
  const lines = problemLines(() => resolveHive(c, CONFIG_FILE));
  assert.deepEqual(lines, [
    'instances.n-49999.store: unknown instance "hub-4999" (did you mean "hub-499"?)',
    'instances.hub-0.via: cycle: hub-0 → n-1 → hub-0',
  ]);
});
