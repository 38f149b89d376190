// The plan's choice between push, star and relay for the instances behind a store, from the closure's new bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planDeploy } from '../../../lib/plan/plan.ts';
import {
  chooseDistribution,
  PUSH_MAX_NEW_BYTES,
  PUSH_MIN_INSTANCES,
} from '../../../lib/plan/distribution.ts';
import { renderPlanText } from '../../../lib/plan/render.ts';
import type { CopyStep, Plan, PlanOptions } from '../../../lib/plan/types.ts';
import { hive, instance } from '../../helpers/hive.ts';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const MiB = 1024 * 1024;
const names = (n: number) => Array.from({ length: n }, (_v, i) => `h${String(i + 1).padStart(3, '0')}`);
const fleet = (n: number) =>
  hive(
    [
      instance('portico', 'gate', { hostKeys: [KEY] }),
      ...names(n).map((name) => instance(name, 'web', { via: 'portico', store: 'portico', hostKeys: [KEY] })),
    ],
    { signingKey: '/hive/keys/hive.sec' },
  );
const plan = (n: number, o: Partial<PlanOptions> = {}) =>
  planDeploy(fleet(n), ['portico', ...names(n)], {
    goal: 'switch',
    skip: { build: false, copy: false, activate: false },
    ...o,
  });
const web = (p: Plan) => p.distribution!.find((d) => d.system === 'web')!;
const webCopies = (p: Plan) =>
  p.steps.filter(
    (s): s is CopyStep => s.kind === 'copy' && s.system === 'web' && s.to.kind === 'instance' && !!s.from,
  );

test('a small change to 120 hosts is pushed from here: no relay tree, every copy marked, the plan says why', () => {
  const p = plan(120, { newBytes: { web: 968 * 1024 } });
  assert.equal(web(p).mode, 'push');
  assert.match(web(p).why, /^968 KiB new per instance ≤ 2\.0 MiB: pushed from here/);
  assert.equal(p.relay!.trees.length, 0);
  assert.ok(webCopies(p).every((c) => c.push === true && c.relay === undefined && c.after === undefined));
  assert.match(renderPlanText(p), /^distribution web behind portico \(120\): push: 968 KiB new/m);
});

test('a large change to 120 hosts takes the relay tree (k = 8), or the star with fan-out 0', () => {
  const relay = plan(120, { newBytes: { web: 20 * MiB } });
  assert.equal(web(relay).mode, 'relay');
  assert.match(web(relay).why, /^20\.0 MiB new per instance > 2\.0 MiB: the relay tree passes it on/);
  assert.equal(relay.relay!.trees[0]!.rounds, 3);
  assert.ok(webCopies(relay).every((c) => !c.push));
  const star = plan(120, { newBytes: { web: 20 * MiB }, relayFanout: 0 });
  assert.equal(web(star).mode, 'star');
  assert.match(web(star).why, /every instance pulls it from the store \(no relay: relay fan-out 0\)/);
  assert.equal(star.relay!.trees.length, 0);
});

test('new bytes not known when planned: decided once built; the relay tree stays ready', () => {
  const p = plan(120);
  assert.equal(web(p).mode, 'by-size');
  assert.equal(web(p).otherwise, 'relay');
  assert.equal(p.relay!.trees.length, 1);
  assert.ok(webCopies(p).every((c) => !c.push));
});

test('few instances behind the store, or --push-below 0: a small change is pulled, not pushed', () => {
  const few = plan(PUSH_MIN_INSTANCES, { newBytes: { web: 1024 } });
  assert.equal(web(few).mode, 'star');
  assert.match(web(few).why, /^8 instance\(s\) ≤ 8, not pushed/);
  const never = plan(120, { newBytes: { web: 1024 }, pushBelow: 0 });
  assert.equal(web(never).mode, 'relay');
  assert.match(web(never).why, /^never pushed \(--push-below 0\)/);
});

test('the limits of the rule: per instance, and the whole group through the uplink', () => {
  const c = (newBytes: number, instances: number) =>
    chooseDistribution({ newBytes, instances, otherwise: 'relay' }).mode;
  assert.equal(c(PUSH_MAX_NEW_BYTES, 100), 'push');
  assert.equal(c(PUSH_MAX_NEW_BYTES + 1, 100), 'relay');
  assert.equal(c(MiB, 1024), 'push'); // 1 GiB in all
  assert.equal(c(MiB, 1025), 'relay');
  assert.equal(
    chooseDistribution({ newBytes: 4 * MiB, instances: 100, otherwise: 'star', pushMax: 8 * MiB }).mode,
    'push',
  );
});
