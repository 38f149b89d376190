// Keys in the inventory and the plan: merged by name (instance > system > defaults), defaults filled in,
// nothing of the content in the build output or the plan, keys steps ordered around copy and activation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveHive } from '../../../lib/inventory/resolve/resolve.ts';
import { buildOutput } from '../../../lib/cli/commands/build.ts';
import { planDeploy } from '../../../lib/plan/plan.ts';
import { planToJson, renderPlanText } from '../../../lib/plan/render.ts';
import { baseConfig, CONFIG_FILE } from './fixtures.ts';

const SECRET = 'text-secret-7f3a';

function keyed() {
  const c = baseConfig();
  c.defaults = { keys: { db: { text: SECRET }, tls: { file: './tls.pem', uploadAt: 'post-activation' } } };
  c.systems!.www!.keys = { db: { command: ['pass', 'show', 'db'], user: 'nginx', group: 'nginx' } };
  c.instances!['www-2']!.keys = { db: { file: '/srv/db.key', path: '/etc/db.key', mode: '0440' } };
  return resolveHive(c, CONFIG_FILE);
}

test('keys merge by name, whole keys: instance over system over defaults; defaults filled in', () => {
  const h = keyed();
  assert.deepEqual(h.instances.portico!.keys.db, {
    name: 'db',
    source: { kind: 'text', text: SECRET },
    path: '/run/keys/db',
    user: 'root',
    group: 'root',
    mode: '0600',
    uploadAt: 'pre-activation',
  });
  assert.deepEqual(h.instances['www-1']!.keys.db!.source, {
    kind: 'command',
    command: ['pass', 'show', 'db'],
  });
  assert.equal(h.instances['www-1']!.keys.db!.user, 'nginx');
  assert.deepEqual(h.instances['www-2']!.keys.db, {
    name: 'db',
    source: { kind: 'file', file: '/srv/db.key' },
    path: '/etc/db.key',
    user: 'root',
    group: 'root',
    mode: '0440',
    uploadAt: 'pre-activation',
  });
  assert.deepEqual(h.instances['www-2']!.keys.tls!.source, { kind: 'file', file: '/hive/tls.pem' });
});

test('build output and plan show names and destinations, never content', () => {
  const h = keyed();
  const doc = JSON.stringify(buildOutput(h, ['portico'], {}));
  assert.ok(!doc.includes(SECRET));
  assert.match(doc, /"source":"text","path":"\/run\/keys\/db"/);
  const plan = planDeploy(h, ['portico', 'www-1'], {
    goal: 'switch',
    skip: { build: false, copy: false, activate: false },
  });
  const text = renderPlanText(plan);
  assert.ok(!text.includes(SECRET) && !JSON.stringify(planToJson(plan)).includes(SECRET));
  assert.match(text, /keys → portico \(pre-activation\): db → \/run\/keys\/db/);
});

test('pre keys gate the copy and activation of their instance; post keys follow the activation', () => {
  const plan = planDeploy(keyed(), ['portico', 'www-1'], {
    goal: 'switch',
    skip: { build: false, copy: false, activate: false },
  });
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  assert.deepEqual(byId.get('keys:www-1')!.deps, []);
  assert.ok(byId.get('copy:www>www-1')!.deps.includes('keys:www-1'));
  assert.ok(byId.get('activate:www-1')!.deps.includes('keys:www-1'));
  // portico's keys do not gate the www closure going into portico's store (only portico's own system).
  assert.ok(!byId.get('copy:www>portico')!.deps.includes('keys:portico'));
  assert.ok(byId.get('copy:portico>portico')!.deps.includes('keys:portico'));
  assert.deepEqual(byId.get('keys:www-1:post')!.deps, ['activate:www-1']);
  const order = plan.steps.map((s) => s.id);
  for (const s of plan.steps) for (const d of s.deps) assert.ok(order.indexOf(d) < order.indexOf(s.id));
});

test('--no keys plans no keys step', () => {
  const plan = planDeploy(keyed(), ['www-1'], {
    goal: 'switch',
    skip: { build: false, copy: false, activate: false, keys: true },
  });
  assert.deepEqual(
    plan.steps.filter((s) => s.kind === 'keys'),
    [],
  );
});

test('a pre key of a non-root owner may be staged before a switch or test, and owned after it; not before boot', () => {
  const plan = (goal: 'switch' | 'test' | 'boot') =>
    new Map(
      planDeploy(keyed(), ['portico', 'www-1'], {
        goal,
        skip: { build: false, copy: false, activate: false },
      }).steps.map((s) => [s.id, s]),
    );
  for (const goal of ['switch', 'test'] as const) {
    const byId = plan(goal);
    const pre = byId.get('keys:www-1');
    const post = byId.get('keys:www-1:post');
    assert.ok(pre?.kind === 'keys' && post?.kind === 'keys');
    assert.equal(pre.stageOwners, true, goal);
    assert.deepEqual(post.owners, [{ name: 'db', path: '/run/keys/db' }], goal);
    // portico's db is root's: nothing to stage, nothing to own.
    const portico = byId.get('keys:portico');
    assert.ok(portico?.kind === 'keys' && portico.stageOwners === undefined);
    assert.equal((byId.get('keys:portico:post') as { owners?: unknown }).owners, undefined);
  }
  const boot = plan('boot');
  assert.equal((boot.get('keys:www-1') as { stageOwners?: boolean }).stageOwners, undefined);
  assert.equal((boot.get('keys:www-1:post') as { owners?: unknown }).owners, undefined);
  const text = renderPlanText(
    planDeploy(keyed(), ['www-1'], { goal: 'switch', skip: { build: false, copy: false, activate: false } }),
  );
  assert.match(text, /keys → www-1 \(post-activation\): tls → \/run\/keys\/tls, owner of db if staged/);
});

test('dry-activate plans no keys step (a preview writes nothing on the host)', () => {
  const steps = (goal: 'dry-activate' | 'test') =>
    planDeploy(keyed(), ['portico', 'www-1'], { goal, skip: { build: false, copy: false, activate: false } })
      .steps.filter((s) => s.kind === 'keys')
      .map((s) => s.id);
  assert.deepEqual(steps('dry-activate'), []);
  assert.deepEqual(steps('test'), ['keys:portico', 'keys:www-1', 'keys:portico:post', 'keys:www-1:post']);
});
