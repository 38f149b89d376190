// Who waits for whom around a host that serves copies: a store activates before the copies that pull from it
// start (storeActivatesFirst), a relay parent below it once the copies it feeds ended (servedCopies); both
// planned, narrowed by the run's distribution (servedOrderings, copyOrderings), run by runDag. Store-first
// stays: the instances behind the store activate after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyOrderings, servedBy, servedOrderings } from '../../../../lib/deploy/activate/served-first.ts';
import type { Mode } from '../../../../lib/deploy/copy/distribution.ts';
import { runDag } from '../../../../lib/deploy/run/run-dag.ts';
import { planDeploy } from '../../../../lib/plan/plan.ts';
import { describeStep } from '../../../../lib/plan/render.ts';
import type { ActivateStep, CopyStep, Plan, Step } from '../../../../lib/plan/types.ts';
import { hive, instance, seedHive } from '../../../helpers/hive.ts';

const ALL = ['portico', 'www-1', 'www-2', 'www-3', 'storage'];
const opts = { goal: 'switch' as const, skip: { build: false, copy: false, activate: false } };
const act = (p: Plan, name: string) => p.steps.find((s) => s.id === `activate:${name}`) as ActivateStep;
const copyTo = (p: Plan, id: string) => p.steps.find((s) => s.id === id) as CopyStep;

test('the plan has the copies pulled from a store wait for its activation; its dependents still wait for it', () => {
  const p = planDeploy(seedHive(), ALL, opts);
  assert.deepEqual(
    act(p, 'portico').after,
    ['copy:www>portico', 'copy:storage>portico'],
    'the store activates once it holds what it serves, and waits for none of the copies it serves',
  );
  assert.deepEqual(act(p, 'portico').deps, ['copy:portico>portico']);
  for (const id of ['copy:www>www-1', 'copy:www>www-2', 'copy:www>www-3', 'copy:storage>storage']) {
    assert.deepEqual(copyTo(p, id).after, ['activate:portico'], `${id}: ordering only`);
    assert.ok(
      !copyTo(p, id).deps.includes('activate:portico'),
      `${id}: a failed store activation does not skip it`,
    );
  }
  for (const id of ['copy:www>portico', 'copy:storage>portico']) assert.equal(copyTo(p, id).after, undefined);
  for (const name of ['www-1', 'www-2', 'www-3', 'storage']) {
    assert.ok(act(p, name).deps.includes('activate:portico'), `${name} activates after its store`);
    assert.equal(act(p, name).after, undefined, `${name} serves nothing`);
  }
  const index = new Map(p.steps.map((s, i) => [s.id, i]));
  assert.ok(index.get('activate:portico')! < index.get('copy:www>www-1')!, 'the plan lists it in run order');
});

test('a store that is not targeted, or no activation, holds no copy back', () => {
  const untargeted = planDeploy(seedHive(), ['www-1', 'storage'], opts);
  assert.equal(copyTo(untargeted, 'copy:www>www-1').after, undefined);
  const noActivate = planDeploy(seedHive(), ALL, { ...opts, skip: { ...opts.skip, activate: true } });
  assert.equal(copyTo(noActivate, 'copy:www>www-1').after, undefined);
});

test('when every activation waits for all copies (the diff is read first), no copy waits for the store', () => {
  const p = planDeploy(seedHive(), ALL, { ...opts, copiesFirst: true });
  const copies = p.steps.filter((s): s is CopyStep => s.kind === 'copy');
  assert.ok(copies.every((c) => !c.after?.some((id) => id.startsWith('activate:'))));
  const index = new Map(p.steps.map((s, i) => [s.id, i]));
  assert.ok(copies.every((c) => index.get(c.id)! < index.get('activate:portico')!));
});

test('a relay parent activates after the children it feeds; the store before the ones it feeds itself', () => {
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
  const copies = p.steps.filter((s): s is CopyStep => s.kind === 'copy' && s.to.kind === 'instance');
  assert.deepEqual(act(p, 'portico').after, ['copy:web>portico']);
  for (const name of names) {
    const fed = copies.filter((c) => c.relay?.parent === name);
    assert.deepEqual(
      act(p, name).after ?? [],
      fed.map((c) => c.id),
      name,
    );
  }
  for (const c of copies.filter((c) => c.from))
    assert.ok(c.after?.includes('activate:portico'), `${c.id} may pull from the store`);
  assert.ok((act(p, 'h01').after ?? []).length > 0, 'the tree has relay parents');
});

test('the run keeps only the orderings of the copies really served in the mode decided', async () => {
  const p = planDeploy(seedHive(), ALL, opts);
  const byId = new Map(p.steps.map((s) => [s.id, s]));
  const www = (mode: Mode | undefined) => (c: CopyStep) =>
    Promise.resolve(c.system === 'www' ? mode : undefined);
  const copy = byId.get('copy:www>www-1') as CopyStep;
  assert.deepEqual(await copyOrderings(copy, www('star')), ['activate:portico']);
  assert.deepEqual(await copyOrderings(copy, www('push')), [], 'a pushed copy does not wait for the store');
  const relayed = {
    ...copy,
    relay: { parent: 'www-2', round: 2 },
    after: ['copy:www>www-2', 'activate:portico'],
  };
  assert.deepEqual(
    await copyOrderings(relayed, www('relay')),
    ['copy:www>www-2'],
    'relayed from another host',
  );
  assert.deepEqual(
    await copyOrderings(relayed, www('star')),
    relayed.after,
    'pulled from the store after all',
  );
  const held = ['copy:www>portico', 'copy:storage>portico'];
  const behind = (mode: Mode) => (system: string) => Promise.resolve(system === 'www' ? mode : 'star');
  assert.deepEqual(await servedOrderings(act(p, 'portico'), byId, www('star'), behind('star')), held);
  assert.deepEqual(
    await servedOrderings(act(p, 'portico'), byId, www('push'), behind('push')),
    ['copy:storage>portico'],
    'what its instances get pushed from here does not hold the store back',
  );
  const parent = { ...act(p, 'www-2'), after: ['copy:www>www-1'] };
  const byIdRelayed = new Map([...byId, [relayed.id, relayed]]);
  assert.deepEqual(await servedOrderings(parent, byIdRelayed, www('relay')), ['copy:www>www-1']);
  assert.deepEqual(await servedOrderings(parent, byIdRelayed, www('star')), []);
  assert.equal(servedBy({ ...copy, relay: { parent: 'www-2', round: 2 } }, 'relay'), 'www-2');
  assert.equal(servedBy({ ...copy, relay: { parent: 'www-2', round: 2 } }, 'star'), 'portico');
  assert.equal(servedBy(copy, 'push'), undefined);
});

/** Runs the plan with steps that only take a moment; returns the order of step starts and ends. */
async function timeline(p: Plan, modeOf: (system: string) => Mode, slow = new Set<string>()) {
  const seen: string[] = [];
  const byId = new Map(p.steps.map((s) => [s.id, s]));
  await runDag({
    steps: p.steps,
    execute: async (step) => {
      seen.push(`start ${step.id}`);
      await new Promise((r) => setTimeout(r, slow.has(step.id) ? 100 : step.kind === 'copy' ? 20 : 1));
      seen.push(`end ${step.id}`);
    },
    limits: () => [],
    label: describeStep,
    target: () => undefined,
    blame: (s: Step) => s.id,
    emit: () => {},
    signal: new AbortController().signal,
    // As the run does (deploy.ts pushDeps): a copy pushed from here does not wait for its store's copy.
    deps: async (step) =>
      step.kind === 'copy' && step.from && modeOf(step.system) === 'push'
        ? step.deps.filter((d) => !d.startsWith('copy:'))
        : step.deps,
    orderings: (step) =>
      step.kind === 'activate'
        ? servedOrderings(
            step,
            byId,
            (c) => Promise.resolve(modeOf(c.system)),
            (system) => Promise.resolve(modeOf(system)),
          )
        : step.kind === 'copy'
          ? copyOrderings(step, (c) => Promise.resolve(modeOf(c.system)))
          : Promise.resolve(step.after),
  });
  return (what: string) => seen.indexOf(what);
}

test('run: the store activates before anything pulls from it; the instances behind it activate after it', async () => {
  const p = planDeploy(seedHive(), ALL, opts);
  const at = await timeline(p, () => 'star');
  for (const id of ['copy:www>www-1', 'copy:www>www-2', 'copy:www>www-3', 'copy:storage>storage'])
    assert.ok(at('end activate:portico') < at(`start ${id}`), `${id} started after the store activated`);
  for (const name of ['www-1', 'www-2', 'www-3', 'storage'])
    assert.ok(at('end activate:portico') < at(`start activate:${name}`), `${name} after its store`);
});

test('run: copies pushed from the deployer do not wait for the store', async () => {
  const p = planDeploy(seedHive(), ALL, opts);
  const at = await timeline(
    p,
    (system) => (system === 'www' ? 'push' : 'star'),
    new Set(['copy:www>portico']),
  );
  assert.ok(at('start copy:www>www-1') < at('end activate:portico'), 'pushes ran while the store activated');
  assert.ok(at('end activate:portico') < at('start copy:storage>storage'), 'the pulled one waited');
  assert.ok(
    at('start activate:portico') < at('end copy:www>portico'),
    'nor waits the store for www to come in',
  );
  assert.ok(at('end copy:storage>portico') < at('start activate:portico'), 'but for what it serves');
});
