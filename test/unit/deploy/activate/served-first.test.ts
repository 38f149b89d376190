// A relay parent activates once the copies it serves ended, and only those it really serves: planned by
// servedCopies, narrowed by the run's distribution (servedOrderings), run by runDag. A store does not wait for
// what it serves (every activation behind it waits for it: that would be a phase barrier); store-first stays.
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

/** A store with six instances behind it: with fan-out 2 the closure goes through a relay tree. */
const RELAYED = ['h01', 'h02', 'h03', 'h04', 'h05', 'h06'];
const relayHive = () =>
  hive(
    [
      instance('portico', 'portico', { hostKeys: ['ssh-ed25519 AAAA portico'] }),
      ...RELAYED.map((n) =>
        instance(n, 'web', { via: 'portico', store: 'portico', hostKeys: [`ssh-ed25519 AAAA ${n}`] }),
      ),
    ],
    { signingKey: '/hive/keys/hive.sec' },
  );

test('the store activates right after its own copy, not after the copies it serves; its dependents wait for it', () => {
  const p = planDeploy(seedHive(), ALL, opts);
  assert.equal(act(p, 'portico').after, undefined, 'no phase barrier behind the store');
  assert.deepEqual(act(p, 'portico').deps, ['copy:portico>portico']);
  for (const name of ['www-1', 'www-2', 'www-3', 'storage']) {
    assert.ok(act(p, name).deps.includes('activate:portico'), `${name} activates after its store`);
    assert.equal(act(p, name).after, undefined, `${name} serves nothing`);
  }
});

test('a relay parent activates after the children it feeds; the store, which its children wait for, does not', () => {
  const names = RELAYED;
  const p = planDeploy(relayHive(), ['portico', ...names], { ...opts, relayFanout: 2 });
  const copies = p.steps.filter((s): s is CopyStep => s.kind === 'copy');
  assert.equal(act(p, 'portico').after, undefined, 'the store');
  for (const name of names) {
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
  const p = planDeploy(relayHive(), ['portico', ...RELAYED], { ...opts, relayFanout: 2 });
  const byId = new Map(p.steps.map((s) => [s.id, s]));
  const parent = act(p, 'h01');
  assert.ok(parent.after?.length, 'h01 feeds children in the tree');
  const mode = (m: Mode | undefined) => () => Promise.resolve(m);
  assert.deepEqual(await servedOrderings(parent, byId, mode('relay')), parent.after);
  assert.deepEqual(await servedOrderings(parent, byId, mode('push')), [], 'pushed copies pull from no one');
  assert.deepEqual(
    await servedOrderings(parent, byId, mode('star')),
    [],
    'in the star they pull from the store',
  );
  const copy = byId.get(parent.after![0]!) as CopyStep;
  assert.equal(servedBy(copy, 'relay'), 'h01');
  assert.equal(servedBy(copy, 'star'), 'portico');
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

test('run: the store activates while the copies it serves run; the instances behind it activate after it', async () => {
  const p = planDeploy(seedHive(), ALL, opts);
  const at = await timeline(p, () => Promise.resolve('star'));
  assert.ok(at('start activate:portico') < at('end copy:www>www-1'), 'the store did not wait for its pulls');
  for (const name of ['www-1', 'www-2', 'www-3', 'storage'])
    assert.ok(at('end activate:portico') < at(`start activate:${name}`), `${name} after its store`);
});

test('run: a relay parent activates once the copies it feeds ended', async () => {
  const p = planDeploy(relayHive(), ['portico', ...RELAYED], { ...opts, relayFanout: 2 });
  const at = await timeline(p, () => Promise.resolve('relay'));
  const parent = act(p, 'h01');
  for (const id of parent.after!)
    assert.ok(at(`end ${id}`) < at('start activate:h01'), `${id} ended before h01 activated`);
});
