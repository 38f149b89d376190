// The rollout flags: --reboot means goal boot and refuses another explicit goal; bad sizes and seconds are
// one line naming the flag (exit 2 at the CLI edge).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../lib/errors.ts';
import { rebootPatterns, rolloutOptions, waveOptions } from '../../lib/cli/rollout-options.ts';

const base = { rebootTimeout: '300' };

test('--reboot: goal boot, the timeout, and no other explicit goal', () => {
  assert.deepEqual(rolloutOptions({ ...base, reboot: true }, 'switch', false), {
    goal: 'boot',
    rollout: { rollback: true, reboot: { timeoutS: 300 } },
  });
  assert.throws(
    () => rolloutOptions({ ...base, reboot: true }, 'test', true),
    (e: InputError) =>
      e.message ===
      '--reboot: reboots into the new system with goal boot; it cannot be combined with --goal test',
  );
  assert.deepEqual(rolloutOptions({ ...base, rollback: false, confirmTimeout: '5' }, 'switch', false), {
    goal: 'switch',
    rollout: { rollback: false, confirmTimeoutS: 5 },
  });
  assert.throws(() => rolloutOptions({ ...base, confirmTimeout: '0' }, 'switch', false), /--confirm-timeout/);
  assert.throws(() => rolloutOptions({ rebootTimeout: 'soon' }, 'switch', false), /--reboot-timeout/);
});

test('waves: none unless asked; sizes checked', () => {
  assert.equal(waveOptions(base), undefined);
  assert.deepEqual(waveOptions({ ...base, canary: '1', batch: '10%', maxFailed: '2', pause: '1.5' }), {
    canary: 1,
    batch: { percent: 10 },
    maxFailed: { count: 2 },
    pauseS: 1.5,
  });
  assert.throws(() => waveOptions({ ...base, maxFailed: 'many' }), /--max-failed: must be a whole number/);
  assert.throws(() => waveOptions({ ...base, canary: '0' }), /--canary/);
});

test('--reboot=auto keeps the goal and reboots only the instances the diff will name', () => {
  const { goal, rollout } = rolloutOptions({ ...base, reboot: 'auto' }, 'switch', false);
  assert.equal(goal, 'switch');
  assert.equal(rollout.reboot?.timeoutS, 300);
  assert.deepEqual([...rollout.reboot!.only!], []);
});

test('--reboot followed by a pattern: the pattern is handed back, --reboot is the plain flag', () => {
  const flags: { rebootTimeout: string; reboot?: boolean | string } = { ...base, reboot: 'www-1' };
  assert.deepEqual(rebootPatterns(flags, ['db-*']), ['www-1', 'db-*']);
  assert.equal(flags.reboot, true);
  const auto = { ...base, reboot: 'auto' };
  assert.deepEqual(rebootPatterns(auto, ['db-*']), ['db-*']);
  assert.equal(auto.reboot, 'auto');
});
