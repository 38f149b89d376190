// The confirmation gate (lib/deploy/activate/activation-gate.ts): no activation is let through, and the question is not
// asked, before every build and copy ended; it is asked once; a no skips every activation. And the CLI's
// reading of --diff/--confirm/--yes with and without a terminal (lib/cli/confirm-activation.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ActivationGate, NOT_CONFIRMED } from '../../../../lib/deploy/activate/activation-gate.ts';
import { confirmPlan, isYes } from '../../../../lib/cli/confirm-activation.ts';
import { InputError } from '../../../../lib/errors.ts';
import type { Step } from '../../../../lib/plan/types.ts';

const steps: Step[] = [
  { id: 'build:s', kind: 'build', system: 's', deps: [] },
  {
    id: 'copy:s>a',
    kind: 'copy',
    system: 's',
    to: { kind: 'instance', name: 'a' },
    from: undefined,
    deps: ['build:s'],
  },
  {
    id: 'copy:s>b',
    kind: 'copy',
    system: 's',
    to: { kind: 'instance', name: 'b' },
    from: undefined,
    deps: ['build:s'],
  },
  { id: 'activate:a', kind: 'activate', instance: 'a', system: 's', goal: 'switch', deps: ['copy:s>a'] },
  { id: 'activate:b', kind: 'activate', instance: 'b', system: 's', goal: 'switch', deps: ['copy:s>b'] },
  {
    id: 'keys:a:post',
    kind: 'keys',
    instance: 'a',
    system: 's',
    uploadAt: 'post-activation',
    keys: [],
    deps: ['activate:a'],
  },
];
const byId = (id: string) => steps.find((s) => s.id === id)!;
const tick = () => new Promise((r) => setImmediate(r));

test('activations wait for every copy, the question is asked once, a no skips them all', async () => {
  let asked = 0;
  let answer!: (yes: boolean) => void;
  const gate = new ActivationGate(steps, () => {
    asked++;
    return new Promise<boolean>((r) => (answer = r));
  });
  assert.equal(await gate.gate(byId('copy:s>a')), undefined, 'copies are not held');
  const a = gate.gate(byId('activate:a'));
  const b = gate.gate(byId('activate:b'));
  gate.ended(byId('build:s'));
  gate.ended(byId('copy:s>a'));
  await tick();
  assert.equal(asked, 0, 'not asked while a copy runs');
  gate.ended(byId('copy:s>b'));
  await tick();
  assert.equal(asked, 1);
  answer(false);
  assert.deepEqual(await Promise.all([a, b]), [NOT_CONFIRMED, NOT_CONFIRMED]);
  assert.equal(asked, 1);
});

test('a yes lets every activation through; a failing question is a no', async () => {
  const yes = new ActivationGate(steps, async () => true);
  for (const id of ['build:s', 'copy:s>a', 'copy:s>b']) yes.ended(byId(id));
  assert.equal(await yes.gate(byId('activate:a')), undefined);
  const broken = new ActivationGate(steps, () => Promise.reject(new Error('tty gone')));
  for (const id of ['build:s', 'copy:s>a', 'copy:s>b']) broken.ended(byId(id));
  assert.equal(await broken.gate(byId('activate:b')), NOT_CONFIRMED);
});

test('--confirm without a terminal needs --yes; --diff alone asks only on a terminal', () => {
  assert.throws(
    () => confirmPlan({ confirm: true, activationDiff: true }, false),
    (e: unknown) => e instanceof InputError && e.exitCode === 2 && /^--confirm: /.test(e.message),
  );
  assert.deepEqual(confirmPlan({ confirm: true, yes: true, activationDiff: true }, false), {
    show: true,
    ask: false,
  });
  assert.deepEqual(confirmPlan({ diff: true, activationDiff: true }, false), { show: true, ask: false });
  assert.deepEqual(confirmPlan({ diff: true, activationDiff: true }, true), { show: true, ask: true });
  assert.deepEqual(confirmPlan({ activationDiff: true }, true), { show: false, ask: false });
  assert.deepEqual(['y', 'YES', ' yes ', 'n', '', 'yep', 'no'].map(isYes), [
    true,
    true,
    true,
    false,
    false,
    false,
    false,
  ]);
});
