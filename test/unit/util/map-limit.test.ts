// mapLimit: results in order, never more than the limit at once, and a throw reaches the caller.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mapLimit } from '../../../lib/util/map-limit.ts';

test('results keep the items order; at most `limit` run at once; each item runs once', async () => {
  let running = 0;
  let peak = 0;
  const seen: number[] = [];
  const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, async (n) => {
    peak = Math.max(peak, ++running);
    seen.push(n);
    await new Promise((r) => setTimeout(r, n));
    running--;
    return n * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30, 0]);
  assert.equal(peak, 2);
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4, 5]);
});

test('an empty list gives an empty result; a bad limit is refused', async () => {
  assert.deepEqual(await mapLimit([], 3, async () => 1), []);
  await assert.rejects(
    mapLimit([1], 0, async () => 1),
    /limit must be ≥ 1, got 0/,
  );
});

test('a throw in one item rejects the map', async () => {
  await assert.rejects(
    mapLimit([1, 2], 2, async (n) => {
      if (n === 2) throw new Error('item 2');
    }),
    /item 2/,
  );
});
