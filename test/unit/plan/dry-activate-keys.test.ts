// A dry-activate deploy is a preview: it plans no key uploads (a key would change the host), while the
// same hive with a goal that activates plans both its pre- and post-activation uploads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResolvedKey } from '../../../lib/inventory/types.ts';
import { GOALS } from '../../../lib/nix/goal.ts';
import { planDeploy } from '../../../lib/plan/plan.ts';
import { hive, instance } from '../../helpers/hive.ts';

const key = (name: string, uploadAt: ResolvedKey['uploadAt']): ResolvedKey => ({
  name,
  source: { kind: 'text', text: 'secret' },
  path: `/run/keys/${name}`,
  user: 'root',
  group: 'root',
  mode: '0600',
  uploadAt,
});

const h = hive([
  instance('web', 'www', { keys: { db: key('db', 'pre-activation'), tls: key('tls', 'post-activation') } }),
]);

test('dry-activate plans no keys steps; every other goal plans both', () => {
  for (const goal of GOALS) {
    const plan = planDeploy(h, ['web'], { goal, skip: { build: false, copy: false, activate: false } });
    const keys = plan.steps.filter((s) => s.kind === 'keys').map((s) => s.id);
    assert.deepEqual(keys, goal === 'dry-activate' ? [] : ['keys:web', 'keys:web:post'], goal);
  }
});
