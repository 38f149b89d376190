import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  authorizedLine,
  expiryTime,
  grantArgv,
  relayKnownHosts,
  relayMarker,
  relaySshConfig,
  revokeArgv,
} from '../../../lib/ssh/relay-access.ts';
import { relayPullArgv } from '../../../lib/nix/relay-argv.ts';
import { instance } from '../../helpers/hive.ts';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

test('the grant is read-only, restricted, expiring (UTC) and marked with the run', () => {
  const line = authorizedLine(`${KEY} nix-hive-relay:r1`, 'r1', 'www-5', new Date('2026-11-29T21:55:00Z'));
  assert.equal(
    line,
    `restrict,command="nix-store --serve",expiry-time="202611292225Z" ${KEY} nix-hive-relay:r1:www-5`,
  );
  assert.doesNotMatch(line, /--write/);
  assert.ok(line.includes(relayMarker('r1')));
  assert.throws(() => authorizedLine('not a key', 'r1', 'www-5', new Date()), /no ssh public key/);
  assert.throws(() => grantArgv(`${line}\nssh-ed25519 AAAA evil`), /one line/);
  assert.equal(expiryTime(new Date('2026-01-02T03:04:59Z')), '202601020304Z');
});

test('run ids that could escape the folder or the marker are refused', () => {
  for (const bad of ['../x', 'a b', '', '-x', 'a/b', 'a\nb']) assert.throws(() => revokeArgv(bad), /run id/);
});

test("the child's ssh config pins the parent's inventory key, uses only the run's key, never an agent", () => {
  const parent = instance('www-1', 'www', { address: '172.16.0.5', port: 2222, hostKeys: [KEY] });
  const text = relaySshConfig(parent, 'r1', { connectTimeout: 3, serverAlive: { interval: 5, countMax: 2 } });
  for (const want of [
    'HostName 172.16.0.5',
    'Port 2222',
    'User root',
    'StrictHostKeyChecking yes',
    'UserKnownHostsFile /run/nix-hive-relay/r1/known_hosts',
    'GlobalKnownHostsFile /dev/null',
    'IdentityFile /run/nix-hive-relay/r1/id',
    'IdentitiesOnly yes',
    'IdentityAgent none',
    'ConnectTimeout 3',
  ])
    assert.ok(text.includes(`  ${want}\n`), want);
  assert.equal(relayKnownHosts(parent), `relay-parent ${KEY}\n`);
  assert.throws(() => relayKnownHosts(instance('x', 'www')), /no pinned host key/);
});

test('the pull requires signatures and never turns checking off', () => {
  const argv = relayPullArgv('r1', '/nix/store/abc-www');
  assert.deepEqual(argv.slice(0, 2), ['env', 'NIX_SSHOPTS=-F /run/nix-hive-relay/r1/ssh_config']);
  assert.ok(
    argv.join(' ').includes('copy --from ssh://relay-parent --option require-sigs true /nix/store/abc-www'),
  );
  assert.ok(!argv.includes('--no-check-sigs'));
});
