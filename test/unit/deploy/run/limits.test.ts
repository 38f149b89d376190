// The deploy's concurrency limits (lib/deploy/run/limits.ts): which semaphores a step holds. A relayed copy is
// limited by its parent and its destination, not by `--parallel` (the relay tree's width is its point); a pull
// from the store and a push from here are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeployLimits } from '../../../../lib/deploy/run/limits.ts';
import { Semaphore } from '../../../../lib/deploy/run/semaphore.ts';
import type { CopyStep } from '../../../../lib/plan/types.ts';

const copy = (to: string, extra: Partial<CopyStep> = {}): CopyStep => ({
  id: `copy:www>${to}`,
  kind: 'copy',
  system: 'www',
  to: { kind: 'instance', name: to },
  from: { kind: 'instance', name: 'portico' },
  deps: [],
  ...extra,
});

/** How many of `steps` can hold all their semaphores at once (each takes them in order, none released). */
function admitted(limits: DeployLimits, steps: CopyStep[], pushed = false): number {
  const held = new Map<Semaphore, number>();
  let n = 0;
  for (const step of steps) {
    const sems = limits.of(step, pushed);
    if (sems.every((s) => (held.get(s) ?? 0) < s.limit)) {
      for (const s of sems) held.set(s, (held.get(s) ?? 0) + 1);
      n++;
    }
  }
  return n;
}

test('relayed copies under many parents run beyond --parallel; store pulls and pushes do not', () => {
  const limits = new DeployLimits({ parallel: 3, storeFanout: 4 });
  const parents = ['www-1', 'www-2', 'www-3', 'www-4'];
  const relayed = Array.from({ length: 16 }, (_, i) =>
    copy(`r-${i}`, { relay: { parent: parents[i % 4]!, round: 2 } }),
  );
  // 4 parents × their fan-out of 4: all 16, though --parallel is 3.
  assert.equal(admitted(limits, relayed), 16);
  // A parent still feeds no more than the store fan-out at once.
  const fresh = new DeployLimits({ parallel: 3, storeFanout: 4 });
  const underOne = Array.from({ length: 6 }, (_, i) =>
    copy(`o-${i}`, { relay: { parent: 'www-1', round: 2 } }),
  );
  assert.equal(admitted(fresh, underOne), 4);
  const pulls = Array.from({ length: 8 }, (_, i) => copy(`p-${i}`));
  assert.equal(admitted(new DeployLimits({ parallel: 3, storeFanout: 10 }), pulls), 3);
  const pushes = Array.from({ length: 8 }, (_, i) => copy(`q-${i}`, { push: true }));
  assert.equal(admitted(new DeployLimits({ parallel: 3, storeFanout: 10 }), pushes, true), 3);
});

test('one copy into a destination at a time, relayed or not', () => {
  const limits = new DeployLimits({ parallel: 10, storeFanout: 10 });
  const twice = [
    copy('a', { relay: { parent: 'www-1', round: 2 } }),
    copy('a', { relay: { parent: 'www-2', round: 2 } }),
  ];
  assert.equal(admitted(limits, twice), 1);
});
