import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planDeploy, upstreamTargets } from '../../../lib/plan/plan.ts';
import { planToJson, renderPlanText } from '../../../lib/plan/render.ts';
import type { Plan, PlanOptions } from '../../../lib/plan/types.ts';
import { hive, instance, seedHive } from '../../helpers/hive.ts';
import { matchSnapshot } from '../../helpers/snapshot.ts';

const opts = (o: Partial<PlanOptions> = {}): PlanOptions => ({
  goal: 'switch',
  skip: { build: false, copy: false, activate: false },
  ...o,
});
const ALL = ['portico', 'www-1', 'www-2', 'www-3', 'storage'];
const ids = (p: Plan) => p.steps.map((s) => s.id);

function assertTopological(p: Plan) {
  const seen = new Set<string>();
  for (const s of p.steps) {
    for (const d of s.deps) assert.ok(seen.has(d), `${s.id} comes before its dep ${d}`);
    assert.ok(!seen.has(s.id), `duplicate step ${s.id}`);
    seen.add(s.id);
  }
}

test('each system is built and signed once, whatever the instance count', () => {
  const p = planDeploy(seedHive(), ALL, opts());
  assertTopological(p);
  assert.deepEqual(
    p.steps.filter((s) => s.kind === 'build').map((s) => s.id),
    ['build:portico', 'build:www', 'build:storage'],
  );
  assert.deepEqual(
    p.steps.filter((s) => s.kind === 'sign').map((s) => s.id),
    ['sign:portico', 'sign:www', 'sign:storage'],
  );
  assert.deepEqual(p.systems, ['portico', 'www', 'storage']);
});

test('no sign steps without a signing key', () => {
  const p = planDeploy(seedHive({}), ALL, opts());
  assert.equal(p.steps.filter((s) => s.kind === 'sign').length, 0);
  assert.deepEqual(p.steps.find((s) => s.id === 'copy:www>portico')?.deps, ['build:www']);
});

test('the closure goes to the store once per system, before the instances behind it', () => {
  const p = planDeploy(seedHive(), ALL, opts());
  const copies = p.steps.filter((s) => s.kind === 'copy');
  assert.deepEqual(
    copies.map((s) => s.id),
    [
      'copy:portico>portico',
      'copy:www>portico',
      'copy:storage>portico',
      'copy:www>www-1',
      'copy:www>www-2',
      'copy:www>www-3',
      'copy:storage>storage',
    ],
  );
  const w1 = copies.find((s) => s.id === 'copy:www>www-1')!;
  assert.deepEqual(w1.deps, ['sign:www', 'copy:www>portico']);
  assert.deepEqual(w1.from, { kind: 'instance', name: 'portico' });
  assert.equal(copies.find((s) => s.id === 'copy:www>portico')!.from, undefined);
});

test('activation waits for its copy and for its store/jump host when that is a target', () => {
  const p = planDeploy(seedHive(), ['www-1', 'portico'], opts());
  assertTopological(p);
  const acts = p.steps.filter((s) => s.kind === 'activate');
  assert.deepEqual(
    acts.map((s) => s.id),
    ['activate:portico', 'activate:www-1'],
  );
  assert.deepEqual(acts[1]!.deps, ['copy:www>www-1', 'activate:portico']);
});

test('an untargeted store still receives the closure but is not activated', () => {
  const p = planDeploy(seedHive(), ['www-2'], opts());
  assert.deepEqual(ids(p), ['build:www', 'sign:www', 'copy:www>portico', 'copy:www>www-2', 'activate:www-2']);
  assert.deepEqual(p.steps.at(-1)!.deps, ['copy:www>www-2']);
});

test('store of a store is filled first; URI stores get one copy per system', () => {
  const h = hive([
    instance('core', 'base'),
    instance('edge', 'base', { store: 'core' }),
    instance('a', 'app', { store: 'edge', via: 'edge' }),
    instance('b', 'app', { store: 's3://bucket?region=eu-west-1' }),
    instance('c', 'app', { store: 's3://bucket?region=eu-west-1' }),
  ]);
  const p = planDeploy(h, ['a', 'b', 'c'], opts());
  assertTopological(p);
  assert.deepEqual(ids(p), [
    'build:app',
    'copy:app>core',
    'copy:app>edge',
    'copy:app>a',
    'copy:app>s3://bucket?region=eu-west-1',
    'copy:app>b',
    'copy:app>c',
    'activate:a',
    'activate:b',
    'activate:c',
  ]);
});

test('transitive upstream: the nearest targeted instance on each chain', () => {
  const h = hive([
    instance('bastion', 'j'),
    instance('hop', 'j', { via: 'bastion' }),
    instance('leaf', 'x', { via: 'hop', store: 'hop' }),
  ]);
  assert.deepEqual(upstreamTargets(h, h.instances.leaf!, new Set(['leaf', 'bastion'])), ['bastion']);
  assert.deepEqual(upstreamTargets(h, h.instances.leaf!, new Set(['leaf', 'hop', 'bastion'])), ['hop']);
});

test('--no activate is push only; --no copy keeps the copies for the runner to check against state', () => {
  const push = planDeploy(
    seedHive(),
    ['www-1'],
    opts({ skip: { build: false, copy: false, activate: true } }),
  );
  assert.deepEqual(ids(push), ['build:www', 'sign:www', 'copy:www>portico', 'copy:www>www-1']);
  const act = planDeploy(
    seedHive(),
    ['www-1'],
    opts({ skip: { build: false, copy: true, activate: false } }),
  );
  assert.deepEqual(ids(act), [
    'build:www',
    'sign:www',
    'copy:www>portico',
    'copy:www>www-1',
    'activate:www-1',
  ]);
  assert.deepEqual(act.skip, { build: false, copy: true, activate: false });
});

test('the goal is carried to every activation', () => {
  const p = planDeploy(seedHive(), ALL, opts({ goal: 'dry-activate' }));
  for (const s of p.steps) if (s.kind === 'activate') assert.equal(s.goal, 'dry-activate');
});

test('plan text and JSON snapshots', () => {
  const p = planDeploy(seedHive(), ['portico', 'www-1', 'www-2', 'www-3', 'storage'], opts());
  matchSnapshot(import.meta.url, 'seed-plan.txt', renderPlanText(p));
  matchSnapshot(import.meta.url, 'seed-plan.json', JSON.stringify(planToJson(p), null, 2) + '\n');
});

test('planning is linear: 20k instances behind 40 stores plan quickly and completely', () => {
  const inst = [];
  for (let s = 0; s < 40; s++) inst.push(instance(`store-${s}`, 'store'));
  for (let i = 0; i < 20000; i++)
    inst.push(instance(`n-${i}`, `sys-${i % 50}`, { store: `store-${i % 40}`, via: `store-${i % 40}` }));
  const h = hive(inst);
  const targets = Object.keys(h.instances);
  const p = planDeploy(h, targets, opts());
  assert.equal(p.steps.filter((s) => s.kind === 'activate').length, 20040);
  assert.equal(p.steps.filter((s) => s.kind === 'build').length, 51);
  // each of the 50 systems goes to each of the 40 stores it is used behind, at most once
  assert.equal(
    p.steps.filter((s) => s.kind === 'copy' && s.to.kind === 'instance' && s.to.name.startsWith('store-'))
      .length,
    40 + 200,
  );
  assertTopological(p);
});

test('--allow-direct: a failed store only orders the copies behind it', () => {
  const p = planDeploy(seedHive(), ['www-1'], opts({ allowDirect: true }));
  const w1 = p.steps.find((s) => s.id === 'copy:www>www-1')!;
  assert.deepEqual(w1.deps, ['sign:www']);
  assert.deepEqual(w1.after, ['copy:www>portico']);
  assert.match(renderPlanText(p), /copy www → www-1 \(substitutes from portico\)\s+\[after 2, 3\]/);
});
