// Compression on the deployer's legs: the `compress` setting (hive-level, per store, per instance) decides
// which copies are compressed; the copy's argv (exact) and the generated ssh_config carry it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compressCopy,
  compressedHosts,
  compressLeg,
  copyCompressMode,
} from '../../../../lib/deploy/copy/compress.ts';
import { resolveHive } from '../../../../lib/inventory/resolve/resolve.ts';
import type { HiveConfig } from '../../../../lib/inventory/types.ts';
import { compressedStoreUri, copyArgv } from '../../../../lib/nix/argv.ts';
import { relayPullArgv } from '../../../../lib/nix/relay-argv.ts';
import { planDeploy } from '../../../../lib/plan/plan.ts';
import { renderSshConfig } from '../../../../lib/ssh/config.ts';
import { baseConfig, CONFIG_FILE, problemLines } from '../../inventory/fixtures.ts';

const SYS = '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-www';

function hiveWith(edit: (c: HiveConfig) => void) {
  const c = baseConfig();
  edit(c);
  return resolveHive(c, CONFIG_FILE);
}

const PUSH = { to: { kind: 'instance', name: 'portico' }, from: undefined } as const;
const BEHIND = {
  to: { kind: 'instance', name: 'www-1' },
  from: { kind: 'instance', name: 'portico' },
} as const;

test('auto compresses the legs that leave the deployer, not internal ones; true and false are absolute', () => {
  assert.deepEqual(
    (['auto', true, false, undefined] as const).map((m) => [
      compressLeg(m, 'uplink'),
      compressLeg(m, 'internal'),
    ]),
    [
      [true, false],
      [true, true],
      [false, false],
      [true, false],
    ],
  );
});

test('the most specific setting wins: the destination, then its store, then the hive', () => {
  const plain = hiveWith(() => {});
  assert.equal(plain.compress, 'auto');
  assert.deepEqual([compressCopy(plain, PUSH), compressCopy(plain, BEHIND)], [true, true]);

  const off = hiveWith((c) => (c.compress = false));
  assert.deepEqual([compressCopy(off, PUSH), compressCopy(off, BEHIND)], [false, false]);

  const storeOff = hiveWith((c) => (c.instances!.portico!.compress = false));
  assert.deepEqual([copyCompressMode(storeOff, PUSH), copyCompressMode(storeOff, BEHIND)], [false, false]);

  const ownWins = hiveWith((c) => {
    c.instances!.portico!.compress = false;
    c.instances!['www-1']!.compress = true;
  });
  assert.deepEqual([compressCopy(ownWins, PUSH), compressCopy(ownWins, BEHIND)], [false, true]);

  const defaults = hiveWith((c) => {
    c.compress = true;
    c.defaults = { compress: false };
  });
  assert.equal(defaults.instances['www-2']!.compress, false);
  assert.equal(compressCopy(defaults, BEHIND), false);
  // A store URI destination (not an instance) follows the hive.
  assert.equal(copyCompressMode(off, { to: { kind: 'uri', uri: 'ssh://cache' }, from: undefined }), false);
});

test('a bad compress value is one line naming the field', () => {
  assert.deepEqual(
    problemLines(() => hiveWith((c) => ((c as { compress: unknown }).compress = 'yes'))),
    ['compress: must be one of auto, true, false, got "yes"'],
  );
  assert.deepEqual(
    problemLines(() => hiveWith((c) => ((c.instances!.portico as { compress: unknown }).compress = 'gzip'))),
    ['instances.portico.compress: must be one of auto, true, false, got "gzip"'],
  );
});

test('copy argv: compress=true on ssh stores only, a user choice in the URI kept (exact argv)', () => {
  assert.deepEqual(copyArgv('ssh://portico', SYS, false, true), {
    command: 'nix',
    args: [
      '--extra-experimental-features',
      'nix-command flakes',
      'copy',
      '--to',
      'ssh://portico?compress=true',
      SYS,
    ],
  });
  assert.deepEqual(copyArgv('ssh://www-1', SYS, true, false).args, [
    '--extra-experimental-features',
    'nix-command flakes',
    'copy',
    '--to',
    'ssh://www-1',
    '--substitute-on-destination',
    SYS,
  ]);
  assert.equal(compressedStoreUri('ssh-ng://u@h?ssh-key=/k'), 'ssh-ng://u@h?ssh-key=/k&compress=true');
  assert.equal(compressedStoreUri('ssh://h?compress=false'), 'ssh://h?compress=false');
  assert.equal(compressedStoreUri('s3://cache?region=eu'), 's3://cache?region=eu');
  assert.equal(compressedStoreUri('file:///srv/cache'), 'file:///srv/cache');
});

test('the connections that carry compressed copies get Compression yes; an instance’s own ssh option wins', () => {
  const hive = hiveWith((c) => {
    c.instances!['www-2']!.compress = false;
    c.instances!['www-1']!.ssh = { Compression: 'no' };
  });
  const plan = planDeploy(hive, ['portico', 'www-1', 'www-2'], {
    goal: 'switch',
    skip: { build: false, copy: false, activate: false },
  });
  const hosts = compressedHosts(hive, plan.steps);
  assert.deepEqual(hosts, ['portico', 'www-1']);
  const text = renderSshConfig(hive, {
    knownHostsFile: '/k',
    controlDir: '/c',
    userConfig: null,
    compressed: hosts,
  });
  const block = (name: string) => text.split(`Host ${name}\n`)[1]!.split('\n\n')[0]!;
  assert.match(block('portico'), /^ {2}Compression yes$/m);
  assert.doesNotMatch(block('www-2'), /Compression/);
  // ssh takes the first value: the user's `Compression no` comes before ours.
  const www1 = block('www-1');
  assert.ok(
    www1.indexOf('Compression no') >= 0 && www1.indexOf('Compression no') < www1.indexOf('Compression yes'),
  );
});

test('relay pulls are internal legs: compressed only when a `true` governs them (exact argv)', () => {
  const step = {
    to: { kind: 'instance', name: 'www-2' },
    from: { kind: 'instance', name: 'portico' },
  } as const;
  const auto = hiveWith(() => {});
  const storeOn = hiveWith((c) => (c.instances!.portico!.compress = true));
  assert.deepEqual(
    [auto, storeOn].map((h) => compressLeg(copyCompressMode(h, step), 'internal')),
    [false, true],
  );
  const pull = (compress: boolean) => relayPullArgv('r1', SYS, compress);
  assert.deepEqual(pull(true), [
    'env',
    'NIX_SSHOPTS=-F /run/nix-hive-relay/r1/ssh_config',
    'nix',
    '--extra-experimental-features',
    'nix-command flakes',
    'copy',
    '--from',
    'ssh://relay-parent?compress=true',
    '--option',
    'require-sigs',
    'true',
    SYS,
  ]);
  assert.equal(pull(false)[7], 'ssh://relay-parent');
});
