// Waves are pure: sizes, percentages, the canary, and that a store host never lands after its dependents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSize, planWaves, sizeOf } from '../../../lib/plan/waves.ts';
import { planDeploy } from '../../../lib/plan/plan.ts';
import { seedHive } from '../../helpers/hive.ts';

const names = (n: number) => Array.from({ length: n }, (_, i) => `h${i + 1}`);

test('sizes: counts and percentages (rounded up, at least 1); nonsense is refused', () => {
  assert.deepEqual(parseSize('5'), { count: 5 });
  assert.deepEqual(parseSize('20%'), { percent: 20 });
  for (const bad of ['0', '0%', '101%', '-1', '1.5', 'x', '']) assert.equal(parseSize(bad), undefined, bad);
  assert.equal(sizeOf({ percent: 10 }, 25), 3);
  assert.equal(sizeOf({ percent: 1 }, 5), 1);
});

test('canary first, then batches; max-failed defaults to 1', () => {
  const w = planWaves(names(20), { canary: 1, batch: { count: 5 } });
  assert.deepEqual(
    w.waves.map((x) => x.length),
    [1, 5, 5, 5, 4],
  );
  assert.equal(w.maxFailed, 1);
  assert.equal(w.canary, true);
  const pct = planWaves(names(10), { batch: { percent: 30 }, maxFailed: { percent: 20 } });
  assert.deepEqual(
    pct.waves.map((x) => x.length),
    [3, 3, 3, 1],
  );
  assert.equal(pct.maxFailed, 2);
  assert.deepEqual(planWaves(names(4), { canary: 2 }).waves, [
    ['h1', 'h2'],
    ['h3', 'h4'],
  ]);
});

test('in a plan, a store host is never in a later wave than the instances behind it', () => {
  const hive = seedHive();
  const targets = ['www-1', 'www-2', 'www-3', 'storage', 'portico'];
  const p = planDeploy(hive, targets, {
    goal: 'switch',
    skip: { build: false, copy: false, activate: false },
    waves: { canary: 1, batch: { count: 2 } },
  });
  const wave = new Map(
    p.steps.flatMap((s) => (s.kind === 'activate' ? [[s.instance, s.wave!] as const] : [])),
  );
  assert.equal(wave.get('portico'), 0, 'portico (the store) is the canary');
  for (const t of targets) assert.ok(wave.get(t)! >= wave.get('portico')!, t);
  assert.deepEqual(p.waves!.waves.flat().sort(), [...targets].sort());
});
