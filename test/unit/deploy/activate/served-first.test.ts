// A store host activates once the copies it serves ended, and only those it really serves: planned by
// servedCopies, narrowed by the run's distribution (servedOrderings), run by runDag. Store-first stays: the
// instances behind the store activate after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servedBy, servedOrderings } from '../../../../lib/deploy/activate/served-first.ts';
import type { Mode } from '../../../../lib/deploy/copy/distribution.ts';
import { runDag } from '../../../../lib/deploy/run/run-dag.ts';
import { planDeploy } from '../../../../lib/plan/plan.ts';
import { describeStep } from '../../../../lib/plan/render.ts';
import type { ActivateStep, CopyStep, Plan, Step } from '../../../../lib/plan/types.ts';
import { hive, instance, seedHive } from '../../../helpers/hive.ts';

const ALL = ['portico', 'www-1', 'www-2', 'www-3', 'storage'];
const opts = { goal: 'switch' as const, skip: { build: false, copy: false, activate: false } };
const act = (p: Plan, name: string) => p.steps.find((s) => s.id === `activate:${name}`) as ActivateStep;

test('the plan orders a store host after the copies it serves; its dependents still wait for it', () => {
  const p = planDeploy(seedHive(), ALL, opts);
  assert.deepEqual(act(p, 'portico').after, [
    'copy:www>www-1',
    'copy:www>www-2',
    'copy:www>www-3',
    'copy:storage>storage',
  ]);
  assert.deepEqual(
    act(p, 'portico').deps,
    ['copy:portico>portico'],
    'ordering only: a failed copy never skips it',
  );
  for (const name of ['www-1', 'www-2', 'www-3', 'storage']) {
    assert.ok(act(p, name).deps.includes('activate:portico'), `${name} activates after its store`);
    assert.equal(act(p, name).after, undefined, `${name} serves nothing`);
  }
  // The store's own copies in (other systems it holds for its instances) are not served by it.
  assert.ok(!act(p, 'portico').after!.some((id) => id.endsWith('>portico')));
});

test('a store whose instances are not targeted serves nothing in this run', () => {
  const p = planDeploy(seedHive(), ['portico', 'storage'], opts);
  assert.deepEqual(act(p, 'portico').after, ['copy:storage>storage']);
  assert.equal(act(planDeploy(seedHive(), ['portico'], opts), 'portico').after, undefined);
});

test('a relay parent activates after the children it feeds; the store after the ones it feeds itself', () => {
  const names = ['h01', 'h02', 'h03', 'h04', 'h05', 'h06'];
  const h = hive(
    [
      instance('portico', 'portico', { hostKeys: ['ssh-ed25519 AAAA portico'] }),
      ...names.map((n) =>
        instance(n, 'web', { via: 'portico', store: 'portico', hostKeys: [`ssh-ed25519 AAAA ${n}`] }),
      ),
    ],
    { signingKey: '/hive/keys/hive.sec' },
  );
  const p = planDeploy(h, ['portico', ...names], { ...opts, relayFanout: 2 });
  const copies = p.steps.filter((s): s is CopyStep => s.kind === 'copy');
  for (const name of ['portico', ...names]) {
    const fed = copies.filter(
      (c) => (c.relay ? c.relay.parent : c.from && 'name' in c.from && c.from.name) === name,
    );
    assert.deepEqual(
      act(p, name).after ?? [],
      fed.map((c) => c.id),
      name,
    );
  }
  assert.ok((act(p, 'h01').after ?? []).length > 0, 'the tree has relay parents');
});

test('the run keeps only the copies the host really serves in the mode decided', async () => {
  const p = planDeploy(seedHive(), ALL, opts);
  const byId = new Map(p.steps.map((s) => [s.id, s]));
  const www = (mode: Mode | undefined) => (c: CopyStep) =>
    Promise.resolve(c.system === 'www' ? mode : undefined);
  assert.deepEqual(await servedOrderings(act(p, 'portico'), byId, www('push')), ['copy:storage>storage']);
  assert.deepEqual(await servedOrderings(act(p, 'portico'), byId, www('star')), act(p, 'portico').after);
  const copy = byId.get('copy:www>www-1') as CopyStep;
  assert.equal(servedBy({ ...copy, relay: { parent: 'www-2', round: 2 } }, 'relay'), 'www-2');
  assert.equal(servedBy({ ...copy, relay: { parent: 'www-2', round: 2 } }, 'star'), 'portico');
  assert.equal(servedBy(copy, 'push'), undefined);
});

/** Runs the plan with steps that only take a moment; returns the order of step starts and ends. */
async function timeline(p: Plan, modeOf: (c: CopyStep) => Promise<Mode | undefined> | undefined) {
  const seen: string[] = [];
  const byId = new Map(p.steps.map((s) => [s.id, s]));
  await runDag({
    steps: p.steps,
    execute: async (step) => {
      seen.push(`start ${step.id}`);
      await new Promise((r) => setTimeout(r, step.kind === 'copy' ? 20 : 1));
      seen.push(`end ${step.id}`);
    },
    limits: () => [],
    label: describeStep,
    target: () => undefined,
    blame: (s: Step) => s.id,
    emit: () => {},
    signal: new AbortController().signal,
    orderings: (step) =>
      step.kind === 'activate' ? servedOrderings(step, byId, modeOf) : Promise.resolve(step.after),
  });
  return (what: string) => seen.indexOf(what);
}

test('run: pulled copies end before the store activates; the instances behind it activate after it', async () => {
  const p = planDeploy(seedHive(), ALL, opts);
  const at = await timeline(p, () => Promise.resolve('star'));
  for (const id of act(p, 'portico').after!)
    assert.ok(at(`end ${id}`) < at('start activate:portico'), `${id} ended before the store activated`);
  for (const name of ['www-1', 'www-2', 'www-3', 'storage'])
    assert.ok(at('end activate:portico') < at(`start activate:${name}`), `${name} after its store`);
});

test('run: copies pushed from the deployer do not hold the store back', async () => {
  const p = planDeploy(seedHive(), ALL, opts);
  const at = await timeline(p, () => Promise.resolve('push'));
  assert.ok(at('start activate:portico') < at('end copy:www>www-1'), 'the store activated while pushes ran');
});
