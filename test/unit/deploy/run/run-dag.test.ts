import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDag, type DagOptions } from '../../../../lib/deploy/run/run-dag.ts';
import { Semaphore } from '../../../../lib/deploy/run/semaphore.ts';
import { planDeploy } from '../../../../lib/plan/plan.ts';
import { describeStep } from '../../../../lib/plan/render.ts';
import type { Step } from '../../../../lib/plan/types.ts';
import type { HiveEvent } from '../../../../lib/progress/events.ts';
import { seedHive } from '../../../helpers/hive.ts';

// The runner is pure orchestration: these tests drive it with step executors that only wait or throw.
// They say nothing about deploying (that is the fleet tests' job), only about ordering and propagation.

const plan = planDeploy(seedHive(), ['portico', 'www-1', 'www-2', 'www-3', 'storage'], {
  goal: 'switch',
  skip: { build: false, copy: false, activate: false },
});

function options(
  execute: DagOptions['execute'],
  extra: Partial<DagOptions> = {},
): DagOptions & { events: HiveEvent[] } {
  const events: HiveEvent[] = [];
  return {
    events,
    steps: plan.steps,
    execute,
    limits: () => [],
    label: describeStep,
    target: (s: Step) =>
      s.kind === 'activate'
        ? s.instance
        : s.kind === 'copy'
          ? s.to.kind === 'instance'
            ? s.to.name
            : s.to.uri
          : undefined,
    blame: (s: Step) =>
      s.kind === 'copy' ? `store ${s.to.kind === 'instance' ? s.to.name : s.to.uri}` : s.id,
    emit: (e) => events.push(e),
    signal: new AbortController().signal,
    ...extra,
  };
}

test('every step runs after its deps, each once', async () => {
  const ended = new Set<string>();
  const o = options(async (step) => {
    for (const d of step.deps) assert.ok(ended.has(d), `${step.id} started before ${d} ended`);
    await new Promise((r) => setTimeout(r, Math.random() * 3));
    ended.add(step.id);
  });
  const results = await runDag(o);
  assert.equal(results.size, plan.steps.length);
  assert.ok([...results.values()].every((r) => r.outcome === 'ok'));
  assert.equal(o.events.filter((e) => e.kind === 'step-start').length, plan.steps.length);
});

test('a failed store skips everything behind it with the root cause; the rest goes on', async () => {
  const o = options(async (step, io) => {
    if (step.id === 'copy:www>portico') {
      io.log('stderr', 'ssh: connect to host portico port 22: Connection refused');
      throw new Error('nix copy to portico exited with code 1: Connection refused');
    }
  });
  const r = await runDag(o);
  assert.equal(r.get('copy:www>portico')!.outcome, 'failed');
  for (const w of ['www-1', 'www-2', 'www-3']) {
    assert.equal(r.get(`copy:www>${w}`)!.outcome, 'skipped');
    assert.equal(
      r.get(`copy:www>${w}`)!.reason,
      'store portico failed: nix copy to portico exited with code 1: Connection refused',
    );
    // the root cause travels through a skipped step unchanged
    assert.equal(
      r.get(`activate:${w}`)!.reason,
      'store portico failed: nix copy to portico exited with code 1: Connection refused',
    );
  }
  assert.equal(r.get('activate:storage')!.outcome, 'ok');
  assert.equal(r.get('activate:portico')!.outcome, 'ok');
  const end = o.events.find((e) => e.kind === 'step-end' && e.step === 'copy:www>portico');
  assert.deepEqual(end && end.kind === 'step-end' ? end.tail : [], [
    'ssh: connect to host portico port 22: Connection refused',
  ]);
});

test('limits hold: never more than the semaphore allows at once', async () => {
  let running = 0;
  let peak = 0;
  const sem = new Semaphore(2);
  await runDag(
    options(
      async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
      },
      { limits: () => [sem] },
    ),
  );
  assert.equal(peak, 2);
});

test('an abort starts nothing new; running steps finish; the rest is interrupted', async () => {
  const stop = new AbortController();
  const o = options(
    async (step) => {
      if (step.id === 'build:www') {
        stop.abort();
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    { signal: stop.signal },
  );
  const r = await runDag(o);
  assert.equal(r.get('build:www')!.outcome, 'ok');
  assert.equal(r.get('activate:www-1')!.outcome, 'interrupted');
  assert.ok([...r.values()].every((s) => s.outcome === 'ok' || s.outcome === 'interrupted'));
});
