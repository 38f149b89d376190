import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeHive, resolveHive } from '../../../lib/inventory/resolve/resolve.ts';
import type { HiveConfig } from '../../../lib/inventory/types.ts';
import { baseConfig, CONFIG_FILE, problemLines } from './fixtures.ts';

const lines = (c: unknown) => problemLines(() => resolveHive(c as HiveConfig, CONFIG_FILE));
const edit = (f: (c: HiveConfig) => void): HiveConfig => {
  const c = baseConfig();
  f(c);
  return c;
};
const www1 = (c: HiveConfig) => c.instances!['www-1'] as unknown as Record<string, unknown>;

test('unknown store instance, with did you mean', () => {
  assert.deepEqual(lines(edit((c) => (www1(c).store = 'portco'))), [
    'instances.www-1.store: unknown instance "portco" (did you mean "portico"?)',
  ]);
});

test('unknown system and via, with and without a suggestion', () => {
  assert.deepEqual(
    lines(
      edit((c) => {
        www1(c).system = 'ww';
        www1(c).via = 'gateway';
      }),
    ),
    [
      'instances.www-1.system: unknown system "ww" (did you mean "www"?)',
      'instances.www-1.via: unknown instance "gateway"',
    ],
  );
});

test('unknown keys, with did you mean, at every level', () => {
  assert.deepEqual(
    lines(
      edit((c) => {
        const w = www1(c);
        w.adress = w.address;
        delete w.address;
        (c as unknown as Record<string, unknown>).signinKey = './k';
        (c.systems!.www as unknown as Record<string, unknown>).modles = [];
        c.defaults = { usr: 'x' } as never;
      }),
    ),
    [
      'signinKey: unknown key (did you mean "signingKey"?)',
      'defaults.usr: unknown key (did you mean "user"?)',
      'systems.www.modles: unknown key (did you mean "modules"?)',
      'instances.www-1.address: required field missing',
      'instances.www-1.adress: unknown key (did you mean "address"?)',
    ],
  );
});

test('an unknown key far from every known one lists the expected keys', () => {
  assert.deepEqual(lines(edit((c) => (www1(c).zzzzzz = 1))), [
    'instances.www-1.zzzzzz: unknown key (expected one of: system, address, user, port, via, store, compress, tags, hostKeys, ssh, checks, confirmTimeout, keys)',
  ]);
});

test('wrong types and ranges', () => {
  assert.deepEqual(
    lines(
      edit((c) => {
        www1(c).port = '22';
        www1(c).tags = 'web';
        c.instances!.portico!.port = 70000;
        c.systems! = { ...c.systems!, www: { modules: [] } };
      }),
    ),
    [
      'systems.www.modules: must list at least 1 item',
      'instances.portico.port: must be between 1 and 65535, got 70000',
      'instances.www-1.port: must be an integer, got "22"',
      'instances.www-1.tags: must be a list, got "web"',
    ],
  );
});

test('invalid names: leading "-", spaces, slashes, too long', () => {
  const long = 'a'.repeat(64);
  assert.deepEqual(
    lines(
      edit((c) => {
        c.instances!['-oProxyCommand=x'] = { system: 'www', address: 'x' };
        c.instances!['a b'] = { system: 'www', address: 'x' };
        c.systems!['../etc'] = { modules: ['./x.nix'] };
        c.instances![long] = { system: 'www', address: 'x' };
        www1(c).tags = ['-x'];
      }),
    ),
    [
      'systems["../etc"]: invalid name "../etc": must start with a letter, digit or "_" and contain only letters, digits, ".", "_" and "-" (at most 63)',
      'instances["-oProxyCommand=x"]: invalid name "-oProxyCommand=x": must start with a letter, digit or "_" and contain only letters, digits, ".", "_" and "-" (at most 63)',
      'instances["a b"]: invalid name "a b": must start with a letter, digit or "_" and contain only letters, digits, ".", "_" and "-" (at most 63)',
      `instances.${long}: invalid name "${long}": must start with a letter, digit or "_" and contain only letters, digits, ".", "_" and "-" (at most 63)`,
      'instances.www-1.tags[0]: invalid value "-x": must start with a letter, digit or "_" and contain only letters, digits, ".", "_" and "-" (at most 63)',
    ],
  );
});

test('hostile addresses, users and ssh values are rejected', () => {
  assert.deepEqual(
    lines(
      edit((c) => {
        www1(c).address = '-oProxyCommand=touch /tmp/x';
        www1(c).user = 'root;id';
        www1(c).ssh = { IdentityFile: 'a\nProxyCommand x', 'Bad Key': 1 };
        c.instances!.portico!.address = 'host name';
      }),
    ),
    [
      'instances.portico.address: invalid value "host name": must be a host name or IP address (no spaces, "@", quotes or leading "-")',
      'instances.www-1.address: invalid value "-oProxyCommand=touch /tmp/x": must be a host name or IP address (no spaces, "@", quotes or leading "-")',
      'instances.www-1.user: invalid value "root;id": must be a Unix user name (lower case, starting with a letter or "_")',
      'instances.www-1.ssh["Bad Key"]: invalid name "Bad Key": must be an ssh_config keyword such as "IdentityFile"',
      'instances.www-1.ssh.IdentityFile: invalid value "a\\nProxyCommand x": must not contain line breaks',
    ],
  );
});

test('malformed store URIs', () => {
  const cases: Array<[string, string]> = [
    [
      'htps://cache.example.org',
      'malformed store URI "htps://cache.example.org": unknown scheme "htps" (did you mean "https"?)',
    ],
    ['file://relative/dir', 'malformed store URI "file://relative/dir": file:// needs an absolute path'],
    ['https://', 'malformed store URI "https://": no host'],
    ['ssh://-oProxyCommand=x', 'malformed store URI "ssh://-oProxyCommand=x": host may not start with "-"'],
    ['/var/cache', 'malformed store URI "/var/cache": use "local?root=/var/cache"'],
    ['s3://bucket?region', 'malformed store URI "s3://bucket?region": bad setting "region"'],
    ['portico!', '"portico!" is neither an instance name nor a Nix store URI'],
  ];
  for (const [store, message] of cases)
    assert.deepEqual(
      lines(edit((c) => (www1(c).store = store))),
      [`instances.www-1.store: ${message}`],
      store,
    );
});

test('cycles in via and store, each reported once at its first member', () => {
  assert.deepEqual(
    lines(
      edit((c) => {
        c.instances!.portico!.via = 'www-2';
        c.instances!.portico!.store = 'www-1';
      }),
    ),
    [
      'instances.portico.via: cycle: portico → www-2 → portico',
      'instances.portico.store: cycle: portico → www-1 → portico',
    ],
  );
  assert.deepEqual(lines(edit((c) => (www1(c).via = 'www-1'))), [
    'instances.www-1.via: "www-1" cannot be its own jump host',
  ]);
  assert.deepEqual(lines(edit((c) => (www1(c).store = 'www-1'))), [
    'instances.www-1.store: "www-1" cannot be its own store',
  ]);
});

test('a chain of via is fine; a long cycle is found', () => {
  const c = baseConfig();
  for (let i = 0; i < 100; i++)
    c.instances![`n${i}`] = { system: 'www', address: `10.2.0.${i}`, via: `n${i + 1}` };
  c.instances!.n100 = { system: 'www', address: '10.2.1.0', via: 'portico' };
  assert.doesNotThrow(() => resolveHive(c, CONFIG_FILE));
  c.instances!.n100 = { system: 'www', address: '10.2.1.0', via: 'n50' };
  const l = lines(c);
  assert.equal(l.length, 1);
  assert.match(l[0]!, /^instances\.n100\.via: cycle: n100 → n50 → n51 → .* → n99 → n100$/);
});

test('ssh options nix-hive sets itself are refused', () => {
  assert.deepEqual(
    lines(
      edit((c) => {
        www1(c).ssh = { Port: 2222, hostname: 'x' };
        c.defaults = { ssh: { ProxyJump: 'bastion', User: 'me' } };
      }),
    ),
    [
      'defaults.ssh.ProxyJump: set by nix-hive from "via"; use defaults.via instead',
      'defaults.ssh.User: set by nix-hive from "user"; use defaults.user instead',
      'instances.www-1.ssh.Port: set by nix-hive from "port"; use instances.www-1.port instead',
      'instances.www-1.ssh.hostname: set by nix-hive from "address"; use instances.www-1.address instead',
    ],
  );
});

test('a missing system (no defaults.system) and unknown defaults', () => {
  assert.deepEqual(lines(edit((c) => delete www1(c).system)), [
    'instances.www-1.system: required field missing (or set defaults.system)',
  ]);
  assert.deepEqual(lines(edit((c) => (c.defaults = { system: 'wwww', via: 'portco', store: 'porti' }))), [
    'defaults.system: unknown system "wwww" (did you mean "www"?)',
    'defaults.via: unknown instance "portco" (did you mean "portico"?)',
    'defaults.store: unknown instance "porti" (did you mean "portico"?)',
  ]);
});

test('signingKey is required once an instance has a store', () => {
  assert.deepEqual(lines(edit((c) => delete c.signingKey)), [
    'signingKey: required field missing: instances use a store, so pushed paths must be signed (create a key with: nix-store --generate-binary-cache-key <name> hive.sec hive.pub)',
  ]);
  const noStore = edit((c) => {
    delete c.signingKey;
    delete www1(c).store;
    delete (c.instances!['www-2'] as unknown as Record<string, unknown>).store;
  });
  assert.doesNotThrow(() => resolveHive(noStore, CONFIG_FILE));
});

test('the config must be an object with systems', () => {
  assert.deepEqual(lines([]), [
    'config: must export a hive object (export default defineHive({…})), got a list',
  ]);
  assert.deepEqual(lines(undefined), [
    'config: must export a hive object (export default defineHive({…})), got undefined',
  ]);
  assert.deepEqual(lines({}), ['systems: required field missing (or set `flake`)']);
});

test('every problem is reported at once', () => {
  const l = lines(
    edit((c) => {
      www1(c).store = 'portco';
      www1(c).port = 0;
      c.instances!.portico!.via = 'nowhere';
      delete c.signingKey;
    }),
  );
  assert.equal(l.length, 4, l.join('\n'));
});

test('names equal apart from case collide (ssh Host aliases, file names)', () => {
  assert.deepEqual(
    lines(
      edit((c) => {
        c.instances!['WWW-1'] = { system: 'www', address: 'x' };
        c.systems!.WWW = { modules: ['./w.nix'] };
      }),
    ),
    [
      'systems.WWW: same name as "www" apart from case (ssh Host aliases and file names would collide)',
      'instances.WWW-1: same name as "www-1" apart from case (ssh Host aliases and file names would collide)',
    ],
  );
});

test('module paths and the signing key may not contain line breaks', () => {
  assert.deepEqual(
    lines(
      edit((c) => {
        c.signingKey = './k\n.sec';
        c.systems!.www!.modules = ['./www.nix\n; rm -rf /'];
      }),
    ),
    [
      'signingKey: invalid value "./k\\n.sec": must not contain line breaks',
      'systems.www.modules[0]: invalid value "./www.nix\\n; rm -rf /": must not contain line breaks',
    ],
  );
});

test('checks: exactly one of cmd or http, unique names, instance > system > defaults', () => {
  const config = {
    defaults: { checks: [{ name: 'd', cmd: ['true'] }], confirmTimeout: 9 },
    systems: {
      www: { modules: ['./m.nix'], checks: [{ name: 'a', cmd: ['true'], http: { port: 80 } }] },
      db: {
        modules: ['./m.nix'],
        checks: [
          { name: 'x', http: { port: 80 } },
          { name: 'x', cmd: ['true'] },
        ],
      },
    },
    instances: {
      'www-1': { system: 'www', address: 'a', checks: [{ name: 'own' }] },
      'www-2': { system: 'www', address: 'b', confirmTimeout: 5 },
      'db-1': { system: 'db', address: 'c', checks: [{ name: 'h', http: { port: 8080 }, retries: 0 }] },
    },
  };
  const { hive, problems } = analyzeHive(config, '/tmp/hive.config.ts');
  assert.deepEqual(
    problems.map((p) => `${p.path}: ${p.message}`),
    [
      'systems.www.checks[0]: a check needs exactly one of `cmd` or `http`',
      'systems.db.checks[1].name: duplicate check name "x"',
      'instances.www-1.checks[0]: a check needs exactly one of `cmd` or `http`',
    ],
  );
  assert.equal(hive.instances['www-2']!.checks![0]!.name, 'a');
  assert.equal(hive.instances['www-2']!.confirmTimeout, 5);
  assert.equal(hive.instances['www-1']!.confirmTimeout, 9);
  assert.deepEqual(hive.instances['db-1']!.checks, [
    {
      name: 'h',
      cmd: undefined,
      http: { port: 8080, path: '/', expect: 200 },
      timeout: 10,
      retries: 0,
      interval: 2,
    },
  ]);
});
