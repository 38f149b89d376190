// Where systems are built, in the plan (pure): a system with an instance as build host is built, signed
// and pushed there (store hosts and instances without a store); copies behind a store are unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planDeploy } from '../../../lib/plan/plan.ts';
import { renderPlanText } from '../../../lib/plan/render.ts';
import { hive, instance } from '../../helpers/hive.ts';

const opts = {
  goal: 'switch' as const,
  skip: { build: false, copy: false, activate: false },
  relayFanout: 0,
};

function fleet() {
  const h = hive(
    [
      instance('portico', 'portico'),
      instance('builder', 'builder', { via: 'portico' }),
      instance('lone', 'www'),
      instance('www-1', 'www', { via: 'portico', store: 'portico' }),
    ],
    { signingKey: '/k' },
  );
  h.systems.www!.build = { host: 'builder' };
  return h;
}

test('build@builder, sign@builder, copy builder → store host and store-less instances', () => {
  const text = renderPlanText(planDeploy(fleet(), ['portico', 'lone', 'www-1'], opts));
  for (const line of [
    'build www@builder',
    'sign www@builder (whole closure)',
    'copy www builder → portico',
    'copy www builder → lone',
    'copy www → www-1 (substitutes from portico)',
    'build portico\n',
    'copy portico → portico',
  ])
    assert.ok(text.includes(line), `${JSON.stringify(line)} in\n${text}`);
});

test('a build host named by an ssh-ng:// URI is shown by its host name, like an instance', () => {
  const h = fleet();
  h.systems.www!.build = { host: 'ssh-ng://deploy@big-builder:2222' };
  const text = renderPlanText(planDeploy(h, ['portico', 'lone', 'www-1'], opts));
  for (const line of [
    'build www@big-builder',
    'sign www@big-builder (whole closure)',
    'copy www big-builder → portico',
    'copy www big-builder → lone',
    'copy www → www-1 (substitutes from portico)',
  ])
    assert.ok(text.includes(line), `${JSON.stringify(line)} in\n${text}`);
  assert.doesNotMatch(text, / builder →|@builder/);
});
