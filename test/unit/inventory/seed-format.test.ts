// The seed's hive.nix facts as a HiveConfig (pure): ssh Hostname/ProxyJump/User/Port become address/via/
// user/port, other ssh options pass through, `store = "ssh://<instance>"` orders through that instance;
// Nix's error lines become one problem naming the field and the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nixProblem, seedToConfig, type SeedFacts } from '../../../lib/inventory/load/seed-format.ts';
import { analyzeHive, resolveHive } from '../../../lib/inventory/resolve/resolve.ts';
import { renderSshConfig } from '../../../lib/ssh/config.ts';

const facts: SeedFacts = {
  paths: { nixpkgs: '/np' },
  signingKey: '/k/hive.sec',
  systems: {
    portico: { paths: {}, system: null, hasConfiguration: true },
    www: { paths: { extra: '/x' }, system: 'x86_64-linux', hasConfiguration: true },
  },
  instances: {
    portico: {
      system: 'portico',
      store: '',
      tags: ['edge'],
      hostKeys: [],
      ssh: { Hostname: '203.0.113.10' },
    },
    'www-1': {
      system: 'www',
      store: 'ssh://portico',
      tags: [],
      hostKeys: [],
      ssh: { hostname: '10.0.0.8', ProxyJump: 'portico', User: 'ops', Port: '2222', IdentityFile: '/id' },
    },
    'www-2': { system: 'www', store: 's3://cache?region=eu-west-1', tags: [], hostKeys: [], ssh: {} },
  },
};

test('ssh options map onto instance fields; the rest pass through; instance stores by name', () => {
  const c = seedToConfig(facts);
  assert.deepEqual((c.instances as any)['www-1'], {
    system: 'www',
    address: '10.0.0.8',
    via: 'portico',
    user: 'ops',
    port: 2222,
    ssh: { IdentityFile: '/id' },
    store: 'portico',
  });
  assert.deepEqual((c.instances as any)['www-2'], {
    system: 'www',
    address: 'www-2',
    store: 's3://cache?region=eu-west-1',
  });
  assert.deepEqual((c.instances as any).portico, {
    system: 'portico',
    address: '203.0.113.10',
    tags: ['edge'],
  });
  const h = resolveHive(c as any, '/hive/hive.nix', { seedFile: '/hive/hive.nix' });
  assert.deepEqual(h.instances['www-1']!.store, { kind: 'instance', name: 'portico' });
  assert.equal(h.systems.www!.seedFile, '/hive/hive.nix');
  assert.deepEqual(h.systems.www!.paths, [
    ['extra', '/x'],
    ['nixpkgs', '/np'],
  ]);
});

test("Nix's message becomes one problem with the field path and the file", () => {
  assert.deepEqual(
    nixProblem(
      '/hive/hive.nix',
      "error: instances.www-9.system: system wwww not found in the systems section\n(use '--show-trace' to show detailed location information)\n",
    ),
    {
      path: 'instances.www-9.system',
      message: 'system wwww not found in the systems section (Nix, in /hive/hive.nix)',
    },
  );
  const syntax = nixProblem(
    '/hive/hive.nix',
    "error: syntax error, unexpected ';'\n\n       at /hive/hive.nix:3:5:\n\n            2|\n",
  );
  assert.equal(syntax.message, "syntax error, unexpected ';' (Nix, at /hive/hive.nix:3:5)");
});

test("ssh.UserKnownHostsFile passes through as the user's own policy where no key is pinned, and is refused where one is", () => {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOm9pQW0P5uqrKNn1DkHqJ4b2FjM0Y2sW6b7Xn2nQ0pN';
  const withKnownHosts = (hostKeys: string[]): SeedFacts => ({
    ...facts,
    instances: {
      ...facts.instances,
      portico: {
        ...facts.instances.portico!,
        hostKeys,
        ssh: { Hostname: '203.0.113.10', UserKnownHostsFile: '/etc/ssh/fleet_hosts' },
      },
    },
  });
  const unpinned = resolveHive(seedToConfig(withKnownHosts([])) as any, '/hive/hive.nix', {
    seedFile: '/hive/hive.nix',
  });
  const text = renderSshConfig(unpinned, { knownHostsFile: '/tmp/k', controlDir: null });
  const portico = text.slice(
    text.indexOf('Host portico'),
    text.indexOf('\n\n', text.indexOf('Host portico')),
  );
  assert.match(portico, /^ {2}UserKnownHostsFile \/etc\/ssh\/fleet_hosts$/m);
  assert.doesNotMatch(portico, /StrictHostKeyChecking/);
  const pinned = analyzeHive(seedToConfig(withKnownHosts([key])), '/hive/hive.nix', {
    seedFile: '/hive/hive.nix',
  });
  assert.deepEqual(
    pinned.problems.map((p) => `${p.path}: ${p.message}`),
    [
      'instances.portico.ssh.UserKnownHostsFile: cannot be set here: the instance has pinned `hostKeys`; nix-hive writes its known_hosts',
    ],
  );
});
