// What a switch-to-configuration run means, from its exit status and output: the lines below are what
// switch-to-configuration-ng prints (nixpkgs pkgs/by-name/sw/switch-to-configuration-ng/src/src/main.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifySwitch } from '../../../lib/nix/switch-outcome.ts';

test('exit 0 is ok, whatever it printed', () => {
  assert.deepEqual(classifySwitch('switch', '0', ['starting the following units: web.service']), {
    kind: 'ok',
  });
});

test('exit 4: degraded, the failed units named from the warning line, not the last line', () => {
  const o = classifySwitch('switch', '4', [
    'activating the configuration...',
    'starting the following units: db.service, web.service',
    'warning: the following units failed: db.service, web.service',
    '× web.service - web',
    '     Active: failed (Result: exit-code)',
  ]);
  assert.equal(o.kind, 'degraded');
  assert.ok(o.kind === 'degraded');
  assert.deepEqual(o.failedUnits, ['db.service', 'web.service']);
  assert.match(o.reason, /the following units failed: db\.service, web\.service$/);
});

test('exit 4 from a job that could not be queued names that unit', () => {
  const o = classifySwitch('test', '4', ['Failed to restart nginx.service: Unit nginx.service not found.']);
  assert.ok(o.kind === 'degraded');
  assert.deepEqual(o.failedUnits, ['nginx.service']);
});

test('exit 100: needs a reboot, not a failure', () => {
  const o = classifySwitch('switch', '100', [
    'Warning: the new NixOS configuration has an ‘init’ that is',
    "won't take effect until you reboot the system.",
  ]);
  assert.equal(o.kind, 'needs-reboot');
});

test('a held lock is busy, whatever the errno exit code', () => {
  for (const status of ['11', '1']) {
    const o = classifySwitch('switch', status, ['Could not acquire lock']);
    assert.equal(o.kind, 'busy');
    assert.ok(o.kind === 'busy');
    assert.match(o.reason, /\/run\/nixos\/switch-to-configuration\.lock/);
  }
});

test('any other exit fails, with the error line as the reason rather than the last line', () => {
  const o = classifySwitch('switch', '2', [
    'activating the configuration...',
    'error: setting up /etc failed',
    'Failed to run activate script',
  ]);
  assert.deepEqual(o, {
    kind: 'failed',
    reason: 'switch-to-configuration switch exited with code 2: error: setting up /etc failed',
  });
  assert.deepEqual(classifySwitch('boot', '1', ['Failed to install bootloader']), {
    kind: 'failed',
    reason: 'switch-to-configuration boot exited with code 1: Failed to install bootloader',
  });
  assert.deepEqual(classifySwitch('test', '1', []), {
    kind: 'failed',
    reason: 'switch-to-configuration test exited with code 1',
  });
});
