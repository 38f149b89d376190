// The semaphore hands a released slot to the waiter: no acquire between a release and the wake-up gets in.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Semaphore, withAll } from '../../../../lib/deploy/run/semaphore.ts';

test('a released slot goes to the waiter, not to an acquire that runs before it wakes', async () => {
  const sem = new Semaphore(1);
  let holders = 0;
  let peak = 0;
  const hold = async (release: () => void) => {
    peak = Math.max(peak, ++holders);
    await new Promise((r) => setImmediate(r));
    holders--;
    release();
  };
  const first = await sem.acquire();
  peak = ++holders;
  const waiter = sem.acquire().then(hold);
  // Release, then at once (before the waiter's continuation runs) another acquire.
  holders--;
  first();
  const late = sem.acquire().then(hold);
  await Promise.all([waiter, late]);
  assert.equal(peak, 1);
});

test('waiters get the slot in the order they asked', async () => {
  const sem = new Semaphore(1);
  const order: number[] = [];
  const release = await sem.acquire();
  const all = [1, 2, 3].map((n) => sem.with(async () => void order.push(n)));
  release();
  await Promise.all(all);
  assert.deepEqual(order, [1, 2, 3]);
});

test('withAll holds every semaphore while it runs and frees them all after a throw', async () => {
  const a = new Semaphore(1);
  const b = new Semaphore(1);
  await assert.rejects(
    withAll([a, b], async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  let ran = false;
  await withAll([a, b], async () => void (ran = true));
  assert.ok(ran);
});
