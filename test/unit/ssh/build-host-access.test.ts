// The build host's run-only push access (pure): the destination's line allows only
// `nix-store --serve --write`, restricted and expiring; its ssh_config pins inventory keys and uses only
// the run's key; the push runs through that config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  grantPushArgv,
  pushAuthorizedLine,
  pushKnownHosts,
  pushSshConfig,
  revokePushArgv,
} from '../../../lib/ssh/build-host-access.ts';
import { pushFromHostArgv, signOnHostArgv } from '../../../lib/nix/build-host-argv.ts';
import { instance } from '../../helpers/hive.ts';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

test('the grant lets the run key only write store paths, until it expires', () => {
  const line = pushAuthorizedLine(
    `${KEY} nix-hive-build:r1`,
    'r1',
    'builder',
    new Date('2026-11-29T21:55:00Z'),
  );
  assert.equal(
    line,
    `restrict,command="nix-store --serve --write",expiry-time="202611292225Z" ${KEY} nix-hive-build:r1:builder`,
  );
  assert.throws(() => grantPushArgv(`${line}\nssh-ed25519 AAAA evil`), /one line/);
  assert.equal(revokePushArgv('r1').at(-1), 'nix-hive-build:r1:');
  for (const bad of ['../x', 'a b', '']) assert.throws(() => revokePushArgv(bad), /run id/);
});

test("the build host's ssh_config and known_hosts pin the destinations' inventory keys", () => {
  const portico = instance('portico', 'portico', { hostKeys: [KEY] });
  const targets = [{ instance: portico, address: '172.16.9.1' }];
  assert.equal(pushKnownHosts(targets), `portico ${KEY}\n`);
  const text = pushSshConfig(targets, 'r1', 4);
  for (const want of [
    'Host portico',
    'HostName 172.16.9.1',
    'HostKeyAlias portico',
    'UserKnownHostsFile /run/nix-hive-build/r1/known_hosts',
    'StrictHostKeyChecking yes',
    'IdentityFile /run/nix-hive-build/r1/id',
    'IdentitiesOnly yes',
    'IdentityAgent none',
    'ConnectTimeout 4',
  ])
    assert.ok(text.includes(want), want);
  assert.throws(() => pushKnownHosts([{ instance: instance('x', 'y'), address: 'a' }]), /pinned hostKeys/);
});

test('the push and the sign on the build host: argv, the key from stdin', () => {
  assert.deepEqual(pushFromHostArgv('r1', { alias: 'portico' }, '/nix/store/x', false), [
    'env',
    'NIX_SSHOPTS=-F /run/nix-hive-build/r1/ssh_config',
    'nix',
    '--extra-experimental-features',
    'nix-command flakes',
    'copy',
    '--to',
    'ssh://portico',
    '/nix/store/x',
  ]);
  assert.deepEqual(signOnHostArgv('/nix/store/x').slice(3), [
    'store',
    'sign',
    '--key-file',
    '/dev/stdin',
    '--recursive',
    '/nix/store/x',
  ]);
});
