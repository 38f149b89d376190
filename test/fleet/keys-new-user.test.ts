// Issue 19 on the real fleet: a pre-activation key owned by a user that the new system creates. The host's
// /etc/passwd and /etc/group are copies bound over the real ones inside its mount namespace (this machine's
// files are never touched; a NixOS-like host's are its own), and the system's activation script adds the user to them, as NixOS's
// users-groups activation does. The first deploy succeeds: the key is staged root:root with its mode, is
// there while the activation runs, and ends with its owner. A key whose user no activation creates fails
// the host after its activation (the new system stays active) and stays root:root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { cli, reportOf, systemLinks } from './support/seed-fleet.ts';
import { instanceOf, outcomes, stubModule } from './support/faults.ts';
import { readOnHost, statOnHost, writeKeysHive } from './support/keys-hive.ts';

let fleet: Fleet;
let env: Record<string, string>;

/** The activation creates user and group nhsvc (uid 4711), and notes how it found the key. */
const createsUser = (seed: string) =>
  stubModule({
    seed,
    extra: [
      "  system.activationScripts.users = ''",
      "    grep -q '^nhsvc:' /etc/group || echo 'nhsvc:x:4711:' >> /etc/group",
      "    grep -q '^nhsvc:' /etc/passwd || echo 'nhsvc:x:4711:4711::/nonexistent:/usr/sbin/nologin' >> /etc/passwd",
      "    stat -c '%U:%G %a' /run/keys/svc > /run/nh-probe 2>&1 || true",
      "  '';",
    ].join('\n'),
  });

const hive = (name: string, seed: string, keys: Record<string, unknown>) =>
  writeKeysHive(fleet, path.join(fleet.dir, name), {
    modules: { svc: createsUser(seed) },
    instances: { a: { system: 'svc', host: 'a', keys } },
  });

useFleet({ a: 'public' }, async (u) => {
  ({ fleet, env } = u);
  const a = fleet.hosts.a!;
  // A NixOS-like host's /etc is its own already (the upper layer of its overlay root).
  for (const f of a.kind === 'nixos' ? [] : ['passwd', 'group']) {
    const copy = path.join(a.dir, `etc-${f}`);
    await copyFile(`/etc/${f}`, copy);
    const r = await a.exec(['mount', '--bind', copy, `/etc/${f}`]);
    assert.equal(r.exitCode, 0, r.stderr);
  }
  assert.equal((await a.exec(['id', 'nhsvc'])).exitCode, 1, 'nhsvc does not exist before the first deploy');
});

test("a key owned by a user the activation creates: the host's first deploy succeeds and the key ends with its owner", async () => {
  const keys = { svc: { text: 'svc-secret', user: 'nhsvc', group: 'nhsvc', mode: '0440' } };
  const r = await cli(['deploy', '-c', await hive('first', 'one', keys), '--json'], env);
  assert.equal(r.exitCode, 0, r.stderr + r.stdout.slice(-3000));
  const a = fleet.hosts.a!;
  assert.equal(await readOnHost(a, '/run/nh-probe'), 'root:root 440\n', 'staged root:root with its mode');
  assert.equal(await readOnHost(a, '/run/keys/svc'), 'svc-secret');
  const f = await statOnHost(a, '/run/keys/svc');
  assert.deepEqual([f?.owner, f?.group, f?.mode], ['nhsvc', 'nhsvc', '440']);
  const logs = r.events.filter((e) => e.kind === 'step-log').map((e) => `${e.step}: ${e.line}`);
  assert.ok(
    logs.includes('keys:a: key svc → /run/keys/svc: staged root:root (nhsvc:nhsvc after the activation)'),
    logs.join('\n'),
  );
  assert.ok(logs.includes('keys:a:post: key svc → /run/keys/svc: owner nhsvc:nhsvc'), logs.join('\n'));

  // The next deploy finds the user: the key is left alone.
  const again = await cli(['deploy', '-c', await hive('second', 'two', keys), '--json'], env);
  assert.equal(again.exitCode, 0, again.stderr);
  const lines = again.events.filter((e) => e.kind === 'step-log' && e.step === 'keys:a').map((e) => e.line);
  assert.deepEqual(lines, ['key svc → /run/keys/svc: unchanged']);
});

test('a key whose user no activation creates: the host fails after its activation and the key stays root:root', async () => {
  const keys = { ghost: { text: 'ghost-secret', user: 'nhghost', group: 'root', mode: '0400' } };
  const r = await cli(['deploy', '-c', await hive('ghost', 'three', keys), '--json'], env);
  assert.equal(r.exitCode, 1, r.stderr);
  const report = reportOf(r);
  assert.deepEqual(outcomes(report), { a: 'failed' });
  const a = instanceOf(report, 'a');
  assert.equal(a.step, 'keys:a:post');
  assert.match(
    a.reason,
    /key ghost → \/run\/keys\/ghost: owner nhghost:root still missing after the activation/,
  );
  assert.match(a.reason, /the new system is active/);
  assert.equal((await systemLinks(fleet, 'a')).current, report.systems.svc.outPath);
  const f = await statOnHost(fleet.hosts.a!, '/run/keys/ghost');
  assert.deepEqual([f?.owner, f?.group, f?.mode], ['root', 'root', '400']);
});
