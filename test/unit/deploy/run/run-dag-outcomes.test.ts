// Outcomes beyond ok and failed in the DAG runner: a step that did its work but reports `degraded` or
// `needs-reboot` lets what depends on it run; a `busy` host skips what waits on it, saying so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDag } from '../../../../lib/deploy/run/run-dag.ts';
import { BusyError } from '../../../../lib/errors.ts';
import { planDeploy } from '../../../../lib/plan/plan.ts';
import { describeStep } from '../../../../lib/plan/render.ts';
import type { Step } from '../../../../lib/plan/types.ts';
import { isFailure, isSuccess, type HiveEvent } from '../../../../lib/progress/events.ts';
import { seedHive } from '../../../helpers/hive.ts';

// The seed hive's instances activate after their store host portico did.
const plan = planDeploy(seedHive(), ['portico', 'www-1'], {
  goal: 'switch',
  skip: { build: false, copy: false, activate: false },
});

function run(portico: () => Promise<{ outcome: 'degraded' | 'needs-reboot'; reason: string } | void>) {
  const events: HiveEvent[] = [];
  const ran: string[] = [];
  const results = runDag({
    steps: plan.steps,
    execute: async (step: Step) => {
      ran.push(step.id);
      if (step.id === 'activate:portico') return portico();
    },
    limits: () => [],
    label: describeStep,
    target: (s: Step) => (s.kind === 'activate' ? s.instance : undefined),
    blame: (s: Step) => (s.kind === 'activate' ? `activation of ${s.instance}` : s.id),
    emit: (e) => events.push(e),
    signal: new AbortController().signal,
  });
  return results.then((r) => ({ results: r, ran, events }));
}

for (const outcome of ['degraded', 'needs-reboot'] as const) {
  test(`a ${outcome} store host: its reason is kept and the hosts behind it still activate`, async () => {
    const { results, ran } = await run(async () => ({ outcome, reason: `why ${outcome}` }));
    assert.equal(results.get('activate:portico')?.outcome, outcome);
    assert.equal(results.get('activate:portico')?.reason, `why ${outcome}`);
    assert.ok(ran.includes('activate:www-1'));
    assert.equal(results.get('activate:www-1')?.outcome, 'ok');
  });
}

test('a busy store host: the hosts behind it are skipped, naming it busy', async () => {
  const { results, ran } = await run(async () => {
    throw new BusyError('another switch holds the lock');
  });
  assert.equal(results.get('activate:portico')?.outcome, 'busy');
  assert.ok(!ran.includes('activate:www-1'));
  assert.equal(results.get('activate:www-1')?.outcome, 'skipped');
  assert.match(
    results.get('activate:www-1')?.reason ?? '',
    /^activation of portico found the host busy: another switch/,
  );
});

test('degraded and busy fail the run; needs-reboot does not', () => {
  assert.deepEqual(
    (['ok', 'needs-reboot', 'degraded', 'busy'] as const).map((o) => [o, isSuccess(o), isFailure(o)]),
    [
      ['ok', true, false],
      ['needs-reboot', true, false],
      ['degraded', false, true],
      ['busy', false, true],
    ],
  );
});
