import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareStatus, expectedPath } from '../../../lib/fleet/status.ts';
import { emptyState } from '../../../lib/state/types.ts';
import { seedHive } from '../../helpers/hive.ts';

const A = '/nix/store/aaaa-nixos-system-www';
const B = '/nix/store/bbbb-nixos-system-www';

test('in sync only when both the running system and the profile are the expected path', () => {
  assert.deepEqual(compareStatus(A, A, A), { status: 'in-sync', detail: undefined });
  assert.deepEqual(compareStatus(A, A, B), {
    status: 'drifted',
    detail: `the system profile is ${B}; expected ${A}`,
  });
  assert.deepEqual(compareStatus(A, undefined, A), {
    status: 'drifted',
    detail: `/run/current-system is (none); expected ${A}`,
  });
  assert.equal(compareStatus(undefined, A, A).status, 'unknown');
});

test('the expectation: the system’s last build, else the instance’s last deployed path', () => {
  const hive = seedHive();
  const state = emptyState();
  assert.equal(expectedPath(state, hive, 'www-1'), undefined);
  state.instances['www-1'] = { system: 'www', target: B, outcome: 'ok', steps: {}, runId: 'r', at: 't' };
  assert.equal(expectedPath(state, hive, 'www-1'), B);
  state.systems.www = { outPath: A, drvPath: undefined, fingerprint: 'f', builtAt: 't' };
  assert.equal(expectedPath(state, hive, 'www-1'), A);
});
