import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { resolveHive } from '../../../lib/inventory/resolve/resolve.ts';
import { hostPlatform } from '../../../lib/inventory/resolve/resolve-paths.ts';
import type { HiveConfig } from '../../../lib/inventory/types.ts';
import { baseConfig, CONFIG_FILE } from './fixtures.ts';

test('a full instance resolves with every field', () => {
  const c = baseConfig();
  c.instances!['www-1'] = {
    system: 'www',
    address: 'www-1.internal',
    user: 'deploy',
    port: 2222,
    via: 'portico',
    store: 'portico',
    tags: ['web'],
    hostKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3 www-1'],
    ssh: { ConnectTimeout: 5, Compression: true },
  };
  const h = resolveHive(c, CONFIG_FILE);
  assert.deepEqual(h.instances['www-1'], {
    name: 'www-1',
    system: 'www',
    address: 'www-1.internal',
    user: 'deploy',
    port: 2222,
    via: 'portico',
    store: { kind: 'instance', name: 'portico' },
    tags: ['web'],
    hostKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3 www-1'],
    ssh: { ConnectTimeout: 5, Compression: true },
    keys: {},
  });
  assert.equal(h.configFile, '/hive/hive.config.ts');
  assert.equal(h.root, '/hive');
  assert.deepEqual(h.signingKey, { kind: 'file', file: '/hive/keys/hive.sec' });
});

test('built-in defaults: user root, port 22, no via, no store, empty lists', () => {
  const h = resolveHive(baseConfig(), CONFIG_FILE);
  const p = h.instances.portico!;
  assert.equal(p.user, 'root');
  assert.equal(p.port, 22);
  assert.equal(p.via, undefined);
  assert.equal(p.store, undefined);
  assert.deepEqual(p.hostKeys, []);
  assert.deepEqual(p.ssh, {});
});

test('precedence: instance > defaults > built-in, field by field', () => {
  const c = baseConfig();
  c.defaults = { user: 'ops', port: 2200, tags: ['fleet'], hostKeys: ['ssh-ed25519 AAAA default'] };
  c.instances!.portico = { system: 'portico', address: '203.0.113.10', port: 22022 };
  const h = resolveHive(c, CONFIG_FILE);
  assert.equal(h.instances.portico!.user, 'ops'); // defaults over built-in
  assert.equal(h.instances.portico!.port, 22022); // instance over defaults
  assert.deepEqual(h.instances.portico!.tags, ['fleet']); // lists come whole from defaults…
  assert.deepEqual(h.instances['www-1']!.tags, ['web']); // …and are replaced whole, not merged
  assert.deepEqual(h.instances['www-1']!.hostKeys, ['ssh-ed25519 AAAA default']);
});

test('ssh options merge key by key, case-insensitively, the instance winning', () => {
  const c = baseConfig();
  c.defaults = { ssh: { IdentityFile: '~/.ssh/deploy', ServerAliveInterval: 15 } };
  c.instances!.portico = { system: 'portico', address: 'p', ssh: { identityfile: './keys/portico' } };
  const h = resolveHive(c, CONFIG_FILE);
  assert.deepEqual(h.instances.portico!.ssh, { identityfile: '/hive/keys/portico', ServerAliveInterval: 15 });
  assert.deepEqual(h.instances['www-1']!.ssh, {
    IdentityFile: `${os.homedir()}/.ssh/deploy`,
    ServerAliveInterval: 15,
  });
});

test('defaults.system applies to instances that name none', () => {
  const c = baseConfig();
  c.defaults = { system: 'www' };
  c.instances!['www-3'] = { address: '10.0.0.13' };
  assert.equal(resolveHive(c, CONFIG_FILE).instances['www-3']!.system, 'www');
});

test('a default via or store naming the instance itself does not apply to it', () => {
  const c: HiveConfig = {
    signingKey: './k',
    defaults: { via: 'portico', store: 'portico', system: 'www' },
    systems: { www: { modules: ['./www.nix'] } },
    instances: { portico: { address: 'p' }, 'www-1': { address: 'w' } },
  };
  const h = resolveHive(c, CONFIG_FILE);
  assert.equal(h.instances.portico!.via, undefined);
  assert.equal(h.instances.portico!.store, undefined);
  assert.equal(h.instances['www-1']!.via, 'portico');
  assert.deepEqual(h.instances['www-1']!.store, { kind: 'instance', name: 'portico' });
});

test('store: instance names and store URIs', () => {
  const uris = [
    'file:///var/cache/nix',
    'https://cache.example.org',
    'http://10.0.0.1:5000',
    's3://bucket?region=eu-west-1',
    'ssh://nix-ssh@portico',
    'ssh-ng://root@10.0.0.1',
    'daemon',
    'local',
    'local?root=/mnt',
  ];
  const c = baseConfig();
  uris.forEach((uri, i) => (c.instances![`u${i}`] = { system: 'www', address: `10.1.0.${i}`, store: uri }));
  const h = resolveHive(c, CONFIG_FILE);
  uris.forEach((uri, i) => assert.deepEqual(h.instances[`u${i}`]!.store, { kind: 'uri', uri }));
  assert.deepEqual(h.instances['www-1']!.store, { kind: 'instance', name: 'portico' });
});

test('systems: modules absolute, platform defaults to the build host, paths ordered system first', () => {
  const c = baseConfig();
  c.paths = { nixpkgs: './nixpkgs', extra: 'https://example.org/x.tar.gz', home: '~/src' };
  c.systems!.www!.paths = { nixpkgs: '/srv/nixpkgs-www', own: 'channel:nixos-24.11' };
  c.systems!.www!.modules = ['./www.nix', '/abs/mod.nix', '../up.nix'];
  const h = resolveHive(c, CONFIG_FILE);
  assert.deepEqual(h.systems.www, {
    name: 'www',
    modules: ['/hive/www.nix', '/abs/mod.nix', '/up.nix'],
    paths: [
      ['nixpkgs', '/srv/nixpkgs-www'],
      ['own', 'channel:nixos-24.11'],
      ['extra', 'https://example.org/x.tar.gz'],
      ['home', `${os.homedir()}/src`],
    ],
    system: 'aarch64-linux',
  });
  assert.equal(h.systems.portico!.system, hostPlatform());
  assert.deepEqual(h.systems.portico!.paths[0], ['nixpkgs', '/hive/nixpkgs']);
  assert.match(hostPlatform(), /^[a-z0-9_]+-[a-z]+$/);
});

test('relative paths resolve against the config file folder, not the working folder', () => {
  const h = resolveHive(baseConfig(), '/elsewhere/deep/hive.config.ts');
  assert.equal(h.root, '/elsewhere/deep');
  assert.deepEqual(h.signingKey, { kind: 'file', file: '/elsewhere/deep/keys/hive.sec' });
  assert.deepEqual(h.systems.portico!.modules, ['/elsewhere/deep/portico.nix']);
});

test('no instances is a valid (empty) hive', () => {
  const h = resolveHive({ systems: { a: { modules: ['./a.nix'] } } }, CONFIG_FILE);
  assert.deepEqual(h.instances, {});
  assert.equal(h.signingKey, undefined);
});

test('every problem is one line, whatever the input holds', async () => {
  const { analyzeHive } = await import('../../../lib/inventory/resolve/resolve.ts');
  const weird = 'a\nb\r\nc';
  const { problems } = analyzeHive(
    {
      systems: { [weird]: { modules: [weird] } },
      instances: { [weird]: { system: weird, address: weird, via: weird, store: weird, tags: [weird] } },
      [weird]: 1,
    },
    CONFIG_FILE,
    { checkFiles: true },
  );
  assert.ok(problems.length >= 5);
  for (const p of problems) assert.ok(!/[\r\n]/.test(p.path + p.message), JSON.stringify(p));
});
