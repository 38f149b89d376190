// dry-activate's output read into unit changes (lib/diff/activation.ts). The lines are quoted from nixpkgs'
// switch-to-configuration-ng (pkgs/by-name/sw/switch-to-configuration-ng/src/src/main.rs): its dry-activate
// branch prints `would stop the following units: `, `would NOT stop the following changed units: `, `would
// activate the configuration...`, `would restart systemd`, `would reload the following units: `, `would restart
// the following units: `, `would start the following units: ` with the units sorted and joined by ", ", and a
// switch prints `warning: the following units failed: `.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noServiceChange, parseDryActivate } from '../../../lib/diff/activation.ts';

test('every action line of switch-to-configuration-ng is read', () => {
  const out = [
    'would stop the following units: accounts-daemon.service, old.service',
    'would NOT stop the following changed units: getty@tty1.service',
    'would activate the configuration...',
    'setting up /etc...',
    'would restart systemd',
    'would reload the following units: dbus.service',
    'would restart the following units: polkit.service, sshd.service',
    'would start the following units: accounts-daemon.service',
    'warning: the following units failed: broken.service',
  ].join('\n');
  assert.deepEqual(parseDryActivate(out), {
    stop: ['accounts-daemon.service', 'old.service'],
    skip: ['getty@tty1.service'],
    restartSystemd: true,
    reload: ['dbus.service'],
    restart: ['polkit.service', 'sshd.service'],
    start: ['accounts-daemon.service'],
    failed: ['broken.service'],
  });
});

test('no action line: nothing changes; lines that only look alike are not read', () => {
  const s = parseDryActivate(
    'would activate the configuration...\nstopping the following units: x.service\nwould restart the following units:\n',
  );
  assert.ok(noServiceChange(s));
  assert.ok(!noServiceChange(parseDryActivate('would reload the following units: nginx.service\r')));
});
