// The plan says which systems' derivations come from the evaluation cache (the CLI looks them up; the planner
// only marks the build steps it is told about, in text and JSON).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planDeploy } from '../../../lib/plan/plan.ts';
import { planToJson, renderPlanText } from '../../../lib/plan/render.ts';
import { hive, instance } from '../../helpers/hive.ts';

test('plan: build steps of cached systems are marked, the others are not', () => {
  const h = hive([instance('portico', 'portico'), instance('www-1', 'www', { store: 'portico' })]);
  const plan = planDeploy(h, ['portico', 'www-1'], {
    goal: 'switch',
    skip: { build: false, copy: false, activate: false },
    evalCached: ['www'],
  });
  const text = renderPlanText(plan);
  assert.match(text, /^\d+\. build www \(derivation from the evaluation cache\)$/m);
  assert.match(text, /^\d+\. build portico$/m);
  const steps = (planToJson(plan) as { steps: Array<{ id: string; evalCached?: boolean }> }).steps;
  assert.equal(steps.find((s) => s.id === 'build:www')?.evalCached, true);
  assert.equal(steps.find((s) => s.id === 'build:portico')?.evalCached, undefined);
});
