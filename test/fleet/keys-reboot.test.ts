// Issue 19 on the real fleet: `deploy --reboot` and keys. The harness's simulated reboot empties the host's
// /run, as NixOS's ramfs /run/keys is emptied: the pre-activation keys under /run are sent again once the
// host is back (content, owner and mode), a key on disk is not (same inode), and the /run/keys folder the
// upload makes is 0750 (group keys where the host has one, as on NixOS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { cli, reportOf } from './support/seed-fleet.ts';
import { outcomes, stubModule } from './support/faults.ts';
import { readOnHost, statOnHost, writeKeysHive } from './support/keys-hive.ts';

let fleet: Fleet;
let env: Record<string, string>;

useFleet({ r1: 'public' }, (u) => ({ fleet, env } = u));

test('--reboot: the keys under /run are sent again once the host is back; a key on disk is left alone', async () => {
  const r1 = fleet.hosts.r1!;
  const dir = await writeKeysHive(fleet, path.join(fleet.dir, 'hive'), {
    modules: { small: stubModule({ seed: 'reboot' }) },
    instances: {
      r1: {
        system: 'small',
        host: 'r1',
        keys: {
          tls: { text: 'tls-secret', group: 'nogroup', mode: '0440' },
          disk: { text: 'disk-secret', path: '/root/nh-keys/disk' },
          late: { text: 'late-secret', uploadAt: 'post-activation' },
        },
      },
    },
  });
  const bootBefore = await r1.bootId();
  const r = await cli(['deploy', '-c', dir, '--json', '--reboot', '--reboot-timeout', '120'], env, 240_000);
  assert.equal(r.exitCode, 0, r.stderr + r.stdout.slice(-3000));
  assert.deepEqual(outcomes(reportOf(r)), { r1: 'ok' });
  assert.notEqual(await r1.bootId(), bootBefore, 'the host rebooted');
  assert.equal(await readOnHost(r1, '/run/keys/tls'), 'tls-secret');
  const tls = await statOnHost(r1, '/run/keys/tls');
  assert.deepEqual([tls?.owner, tls?.group, tls?.mode], ['root', 'nogroup', '440']);
  assert.equal(await readOnHost(r1, '/run/keys/late'), 'late-secret');
  assert.equal((await statOnHost(r1, '/run/keys'))?.mode, '750');
  const lines = r.events.filter((e) => e.kind === 'step-log' && e.step === 'activate:r1').map((e) => e.line);
  assert.ok(lines.includes('nix-hive: the reboot emptied /run: sending 1 key(s) again'), lines.join('\n'));
  assert.ok(lines.includes('key tls → /run/keys/tls: written'), lines.join('\n'));
  assert.ok(!lines.some((l) => l.includes('/root/nh-keys/disk')), 'the key on disk is not sent again');
});
