// Issue 19 (Access) on the real fleet: relay grants go to the file sshd actually reads. The relays' sshd
// reads root's keys only from `/run/ssh-keys/%u` (what NixOS 24.11 does with
// `services.openssh.authorizedKeysInHomedir = false`, `/etc/ssh/authorized_keys.d/%u`, here under the host's
// own /run so nothing touches this machine's /etc): the children still pull from their relay, and nothing
// is left in that file. A relay whose keys file cannot take the grant is named with the sshd option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { writeRelayHive } from './support/relay-hive.ts';
import { cli, reportOf, type CliRun } from './support/seed-fleet.ts';
import { outcomes, stubModule } from './support/faults.ts';

const HOSTS = ['h1', 'h2', 'h3'];
let fleet: Fleet;
let env: Record<string, string>;
let dir: string;

const hosts = Object.fromEntries(
  HOSTS.map((name) => [
    name,
    { network: 'internal' as const, sshdExtra: 'AuthorizedKeysFile /run/ssh-keys/%u' },
  ]),
);
useFleet({ portico: 'both', ...hosts }, async (u) => {
  ({ fleet, env } = u);
  const clientPub = await readFile(`${fleet.clientKey}.pub`, 'utf8');
  for (const h of HOSTS) {
    const host = fleet.hosts[h]!;
    // The deployer's own key lives where this sshd reads keys, as NixOS puts users' keys there.
    await mkdir(path.join(host.dir, 'run', 'ssh-keys'), { mode: 0o755 });
    await writeFile(path.join(host.dir, 'run', 'ssh-keys', 'root'), clientPub, { mode: 0o600 });
  }
  dir = await writeRelayHive(fleet, HOSTS);
});

const newWebSystem = (seed: string) =>
  writeFile(path.join(dir, 'web.nix'), stubModule({ seed: `${seed}-${fleet.runId}`, payload: '64K' }));
const deploy = () => cli(['deploy', '-c', dir, '--json', '--no-state', '--relay-fanout', '1'], env, 240_000);
const warnings = (r: CliRun) =>
  r.events.filter((e) => e.kind === 'message' && e.level === 'warn').map((e) => String(e.text));
/** parent → children of the run's one relay tree. */
function feeds(r: CliRun): Array<{ parent: string; children: string[] }> {
  const plan = r.events.find((e) => e.kind === 'plan')!.plan;
  return plan.relay.trees[0].feeds;
}
const logOf = (r: CliRun, host: string) => readFile(path.join(reportOf(r).logDir, `${host}.log`), 'utf8');

test('relays whose sshd reads keys outside root’s home still serve their children; no grant is left', async () => {
  await newWebSystem('keys-d');
  const r = await deploy();
  assert.equal(r.exitCode, 0, r.stderr + r.stdout.slice(-3000));
  assert.deepEqual(new Set(Object.values(outcomes(reportOf(r)))), new Set(['ok']));
  assert.deepEqual(warnings(r), [], 'no relay fell back to the store');
  const relayed = feeds(r).filter((f) => f.parent !== 'portico');
  assert.ok(relayed.length > 0, 'the tree has a relay');
  for (const { parent, children } of relayed)
    for (const child of children)
      assert.match(
        await logOf(r, child),
        /copying path '[^']*' from 'ssh:\/\/relay-parent'/,
        `${child} pulled from ${parent}`,
      );
  for (const h of HOSTS) {
    const host = fleet.hosts[h]!;
    const keys = await readFile(path.join(host.dir, 'run', 'ssh-keys', 'root'), 'utf8');
    assert.doesNotMatch(keys, /nix-hive-relay/, `${h}: the grant is removed from the file sshd reads`);
    const home = await readFile(path.join(host.dir, 'root', '.ssh', 'authorized_keys'), 'utf8');
    assert.doesNotMatch(home, /nix-hive-relay/, `${h}: nothing written where sshd does not read`);
  }
});

test('a relay whose keys file cannot take the grant is named with the sshd option', async () => {
  await newWebSystem('keys-d-link');
  // Every relay's keys file becomes a symlink: sshd follows it, a grant is never written through one.
  const links: string[] = [];
  for (const h of HOSTS) {
    const d = path.join(fleet.hosts[h]!.dir, 'run');
    await mkdir(path.join(d, 'ssh-keys-real'), { mode: 0o755 });
    await writeFile(path.join(d, 'ssh-keys-real', 'root'), await readFile(path.join(d, 'ssh-keys', 'root')), {
      mode: 0o600,
    });
    await rm(path.join(d, 'ssh-keys', 'root'));
    await symlink('/run/ssh-keys-real/root', path.join(d, 'ssh-keys', 'root'));
    links.push(h);
  }
  const r = await deploy();
  assert.equal(r.exitCode, 0, r.stderr + r.stdout.slice(-3000));
  assert.deepEqual(new Set(Object.values(outcomes(reportOf(r)))), new Set(['ok']));
  const parents = feeds(r)
    .filter((f) => f.parent !== 'portico')
    .map((f) => f.parent);
  assert.ok(parents.length > 0);
  const warned = warnings(r);
  for (const p of parents)
    assert.ok(
      warned.some(
        (t) => t.startsWith(`relay ${p} failed`) && /AuthorizedKeysFile \/run\/ssh-keys\/%u/.test(t),
      ),
      warned.join(' | '),
    );
  for (const h of links) {
    const real = await readFile(path.join(fleet.hosts[h]!.dir, 'run', 'ssh-keys-real', 'root'), 'utf8');
    assert.doesNotMatch(real, /nix-hive-relay/, `${h}: nothing written through the link`);
  }
});
