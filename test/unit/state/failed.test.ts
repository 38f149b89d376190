// `--failed` selects only instances a run targeted and that did not succeed: a store host that only received a
// copy (not a target) is never selected, whatever it recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { CopyStep, ActivateStep } from '../../../lib/plan/types.ts';
import { failedInstances, StateRecorder } from '../../../lib/state/record.ts';
import { StateFile } from '../../../lib/state/store.ts';
import { emptyState } from '../../../lib/state/types.ts';
import { tempDir } from '../../helpers/tmp.ts';

const P = '/nix/store/aaaa-nixos-system-www';
const copy = (to: string, from?: string): CopyStep => ({
  kind: 'copy',
  id: `copy:www>${to}`,
  deps: [],
  system: 'www',
  to: { kind: 'instance', name: to },
  from: from ? { kind: 'instance', name: from } : undefined,
});
const activate = (instance: string): ActivateStep => ({
  kind: 'activate',
  id: `activate:${instance}`,
  deps: [],
  instance,
  system: 'www',
  goal: 'switch',
});

test('a clean deploy of www-1 through portico leaves nothing for --failed (portico was not targeted)', async () => {
  const file = new StateFile(path.join(tempDir('nix-hive-failed-'), 'hive.state'), emptyState());
  const rec = new StateRecorder(file, 'run-1');
  const isTarget = (n: string) => n === 'www-1';
  rec.started('www-1', 'www');
  rec.stepEnded({ step: copy('portico'), outcome: 'ok', reason: undefined, path: P }, isTarget);
  rec.stepEnded({ step: copy('www-1', 'portico'), outcome: 'ok', reason: undefined, path: P }, isTarget);
  rec.stepEnded({ step: activate('www-1'), outcome: 'ok', reason: undefined, path: P }, isTarget);
  rec.succeeded('www-1');
  await file.flush();
  assert.deepEqual(file.state.instances.portico?.received, [P], 'the store host recorded what it received');
  assert.deepEqual(failedInstances(file), []);

  // A later run targets www-2, whose copy fails: only www-2 is selected.
  rec.started('www-2', 'www');
  const isTarget2 = (n: string) => n === 'www-2';
  rec.stepEnded({ step: copy('www-2', 'portico'), outcome: 'failed', reason: 'refused', path: P }, isTarget2);
  rec.failedOrSkipped('www-2', 'failed', 'refused');
  await file.flush();
  assert.deepEqual(failedInstances(file), ['www-2']);
});

test('entries written before `targeted` existed: step records or a reason mean targeted', () => {
  const state = emptyState();
  const base = { system: 'www', target: undefined, runId: 'r', at: 't' };
  state.instances.portico = { ...base, outcome: 'skipped', steps: {}, received: [P] };
  state.instances['www-1'] = { ...base, outcome: 'skipped', steps: {}, reason: 'not finished' };
  state.instances['www-2'] = {
    ...base,
    outcome: 'failed',
    steps: { copy: { outcome: 'failed', path: P, at: 't' } },
  };
  assert.deepEqual(failedInstances(new StateFile('/nonexistent/hive.state', state)), ['www-1', 'www-2']);
});
