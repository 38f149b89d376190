import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planDeploy } from '../../../lib/plan/plan.ts';
import { layoutTree, relayRounds } from '../../../lib/plan/relay.ts';
import { planToJson, renderPlanText } from '../../../lib/plan/render.ts';
import type { CopyStep, Plan, PlanOptions } from '../../../lib/plan/types.ts';
import { hive, instance } from '../../helpers/hive.ts';
import { matchSnapshot } from '../../helpers/snapshot.ts';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const opts = (relayFanout: number, o: Partial<PlanOptions> = {}): PlanOptions => ({
  goal: 'switch',
  skip: { build: false, copy: false, activate: false },
  relayFanout,
  ...o,
});
const names = (n: number) => Array.from({ length: n }, (_v, i) => `h${String(i + 1).padStart(2, '0')}`);

function fleet(n: number, o: { signed?: boolean; unpinned?: string[] } = {}) {
  return hive(
    [
      instance('portico', 'gate', { hostKeys: [KEY] }),
      ...names(n).map((name) =>
        instance(name, 'web', {
          via: 'portico',
          store: 'portico',
          hostKeys: o.unpinned?.includes(name) ? [] : [KEY],
        }),
      ),
    ],
    o.signed === false ? {} : { signingKey: '/hive/keys/hive.sec' },
  );
}
const copies = (p: Plan) => p.steps.filter((s): s is CopyStep => s.kind === 'copy');
const parentOf = (p: Plan) =>
  Object.fromEntries(
    copies(p)
      .filter((c) => c.to.kind === 'instance' && c.from)
      .map((c) => [(c.to as { name: string }).name, c.relay?.parent ?? 'store']),
  );

test('rounds of a k-ary tree: ⌈log_k⌉ levels below the store', () => {
  assert.equal(relayRounds(16, 4), 2);
  assert.equal(relayRounds(4, 4), 1);
  assert.equal(relayRounds(5, 4), 2);
  assert.equal(relayRounds(20, 4), 2);
  assert.equal(relayRounds(21, 4), 3);
  assert.equal(relayRounds(1000, 8), 4);
  assert.equal(relayRounds(10000, 8), 5);
  assert.equal(relayRounds(16, 0), 1);
});

test('16 hosts, k = 4: the store feeds 4, two at a time; the first two fed feed 4 each (all at once), the others 2', () => {
  const p = planDeploy(fleet(16), ['portico', ...names(16)], opts(4));
  const parents = parentOf(p);
  const fed = (who: string) => Object.keys(parents).filter((c) => parents[c] === who);
  assert.deepEqual(fed('store'), ['h01', 'h02', 'h03', 'h04']);
  // h01 and h02 hold the closure after one batch, h03 and h04 after two: the early ones take more.
  assert.deepEqual(
    ['h01', 'h02', 'h03', 'h04'].map((r) => fed(r).length),
    [4, 4, 2, 2],
  );
  // The store feeds ⌈k/2⌉ = 2 at once (its 3rd child starts after its 1st, the 4th after its 2nd); the
  // relays feed the last level, which passes nothing on, all at once.
  const copy = (n: string) => copies(p).find((c) => c.id === `copy:web>${n}`)!;
  for (const who of ['store', 'h01', 'h02', 'h03', 'h04']) {
    const kids = fed(who);
    kids.forEach((kid, i) => {
      const waits = (copy(kid).after ?? []).filter((a) => kids.some((k) => a === `copy:web>${k}`));
      const expected = who === 'store' && i >= 2 ? [`copy:web>${kids[i - 2]}`] : [];
      assert.deepEqual(waits, expected, `${kid}, child ${i + 1} of ${who}`);
    });
  }
  assert.deepEqual(
    p.relay?.trees.map((t) => [t.system, t.store, t.rounds]),
    [['web', 'portico', 2]],
  );
  // Each relayed copy waits for its parent's copy (ordering only: a failed relay does not skip it) and
  // still needs its store's copy (the fallback); should the run pull it from the store after all (the star),
  // it waits for the store's activation, as every pull from the store does.
  const h05 = copies(p).find((c) => c.id === 'copy:web>h05')!;
  assert.deepEqual(h05.relay, { parent: 'h01', round: 2 });
  assert.deepEqual(h05.after, ['copy:web>h01', 'activate:portico']);
  assert.ok(h05.deps.includes('copy:web>portico'));
  const index = new Map(p.steps.map((s, i) => [s.id, i]));
  for (const s of p.steps)
    for (const d of [...s.deps, ...(s.after ?? [])])
      assert.ok(index.get(d)! < index.get(s.id)!, `${d} before ${s.id}`);
});

test('fan-out 0 is the star; a hive without a signing key never relays (nothing to check)', () => {
  assert.deepEqual(
    new Set(Object.values(parentOf(planDeploy(fleet(16), names(16), opts(0))))),
    new Set(['store']),
  );
  const unsigned = planDeploy(fleet(16, { signed: false }), names(16), opts(4));
  assert.deepEqual(new Set(Object.values(parentOf(unsigned))), new Set(['store']));
  assert.deepEqual(unsigned.relay?.trees, []);
});

test('the default fan-out is 8, and a group no larger than k needs no relay', () => {
  const p = planDeploy(fleet(16), names(16), {
    goal: 'switch',
    skip: { build: false, copy: false, activate: false },
  });
  assert.equal(p.relay?.fanout, 8);
  assert.equal(Object.values(parentOf(p)).filter((x) => x === 'store').length, 8);
  assert.deepEqual(planDeploy(fleet(4), names(4), opts(4)).relay?.trees, []);
});

test('an instance without a pinned host key is never a relay (its children could not pin it)', () => {
  const p = planDeploy(fleet(8, { unpinned: ['h01', 'h02'] }), names(8), opts(2));
  const parents = parentOf(p);
  for (const child of Object.keys(parents))
    assert.ok(!['h01', 'h02'].includes(parents[child]!), `${child} ← ${parents[child]}`);
  assert.equal(Object.values(parents).filter((x) => x === 'store').length, 2);
  assert.equal(Object.keys(parents).length, 8);
});

test('layout: each level is spread evenly over the one before, at most k children each', () => {
  const { relayed: t, waits } = layoutTree(names(30), 3, () => true);
  // Batches of ⌈3/2⌉ = 2 above the last level: a third child waits for the first; the last level never waits.
  const rounds = (r: number) => [...t].filter(([, a]) => a.round === r).map(([c]) => c);
  assert.ok(rounds(2).some((c) => waits.has(c)));
  assert.deepEqual(
    rounds(3).filter((c) => waits.has(c)),
    [],
  );
  const count = new Map<string, number>();
  for (const a of t.values()) count.set(a.parent, (count.get(a.parent) ?? 0) + 1);
  for (const n of count.values()) assert.ok(n <= 3);
  assert.equal(Math.max(...[...t.values()].map((a) => a.round)), relayRounds(30, 3));
  assert.equal(t.size, 27);
});

test('plan text and JSON show who feeds whom', () => {
  const p = planDeploy(fleet(6), ['portico', ...names(6)], opts(2));
  matchSnapshot(import.meta.url, 'relay-plan.txt', renderPlanText(p));
  const json = planToJson(p) as { relay: { fanout: number; trees: Array<{ feeds: unknown }> } };
  assert.equal(json.relay.fanout, 2);
  assert.deepEqual(json.relay.trees[0]!.feeds, [
    { parent: 'portico', children: ['h01', 'h02'] },
    { parent: 'h01', children: ['h03', 'h04'] },
    { parent: 'h02', children: ['h05', 'h06'] },
  ]);
});

test('steps stay in dependency order when a leaf comes before its relay in target order', () => {
  const h = fleet(6, { unpinned: ['h01', 'h02', 'h03'] });
  const p = planDeploy(h, ['portico', ...names(6)], opts(2));
  const index = new Map(p.steps.map((s, i) => [s.id, i]));
  assert.ok(
    copies(p).some((c) => c.relay),
    'some copies are relayed',
  );
  for (const s of p.steps)
    for (const d of [...s.deps, ...(s.after ?? [])])
      assert.ok(index.get(d)! < index.get(s.id)!, `${d} before ${s.id}`);
  // The pinned ones are fed first and relay; the unpinned are leaves.
  assert.deepEqual(
    Object.entries(parentOf(p))
      .filter(([, parent]) => parent === 'store')
      .map(([c]) => c)
      .sort(),
    ['h04', 'h05'],
  );
});
