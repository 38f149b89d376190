// Bad input about where systems come from and where they are built: one line naming the field or
// argument, exit 2, nothing started (no .hive folder, no state). A seed-format hive's own errors come from
// Nix and name the file. Also: `nix-hive import hive.nix` gives a hive.config.ts that builds the same.
// No fleet is needed: these runs stop at the inventory, or build with the stub nixpkgs only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BIN, EXAMPLE } from './support/seed-fleet.ts';
import { run } from './harness/proc.ts';
import { STUB_NIXPKGS } from './harness/inventory-json.ts';

let dir: string;
const env = {
  ...(process.env as Record<string, string>),
  NIX_REMOTE: 'local',
  NIX_CONFIG: 'substituters =\nsandbox = false\nbuild-users-group =',
};
const nixHive = (...args: string[]) => run([process.execPath, BIN, ...args], { env });

const SEED = (system: string) => `{
  paths.nixpkgs = ${JSON.stringify(STUB_NIXPKGS)};
  signingKey = ${JSON.stringify(path.join(EXAMPLE, 'keys', 'hive.sec'))};
  systems.www.configuration = { ... }: { imports = [ ./modules/www.nix ]; };
  systems.portico.configuration = import ./modules/portico.nix;
  instances = {
    portico = { system = "portico"; ssh.Hostname = "203.0.113.10"; };
    www-1 = { system = "${system}"; store = "ssh://portico"; ssh = { Hostname = "10.0.0.11"; ProxyJump = "portico"; }; };
  };
}
`;

const TS = (systems: string, extra = '') => `export default {
  paths: { nixpkgs: ${JSON.stringify(STUB_NIXPKGS)} },
  ${extra}
  systems: { ${systems} },
  instances: { portico: { system: 'www', address: '203.0.113.10' } },
};
`;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nix-hive-sources-'));
  await cp(path.join(EXAMPLE, 'modules'), path.join(dir, 'modules'), { recursive: true });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectBadInput(args: string[], line: RegExp) {
  const r = await nixHive(...args);
  assert.equal(r.exitCode, 2, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, line);
  await assert.rejects(stat(path.join(dir, '.hive')), 'nothing started');
}

test('a malformed flake reference names the field', async () => {
  await writeFile(path.join(dir, 'hive.config.ts'), TS(`www: { flake: './fleet#' }`));
  await expectBadInput(
    ['deploy', '-c', dir],
    /^nix-hive: systems\.www\.flake: invalid value "\.\/fleet#": is not a flake output: expected "<flake-ref>#<name>"/m,
  );
  await writeFile(path.join(dir, 'hive.config.ts'), TS(`www: { flake: 'my fleet#www' }`));
  await expectBadInput(
    ['plan', '-c', dir],
    /^nix-hive: systems\.www\.flake: invalid value "my fleet#www": is not a flake output/m,
  );
  await writeFile(
    path.join(dir, 'hive.config.ts'),
    TS(`www: { modules: ['./modules/www.nix'] }`, `flake: '.#www',`),
  );
  await expectBadInput(
    ['plan', '-c', dir],
    /^nix-hive: flake: invalid value "\.#www": is not a flake reference/m,
  );
});

test('a build host that is neither an instance nor a URI names the field or the argument', async () => {
  await writeFile(
    path.join(dir, 'hive.config.ts'),
    TS(`www: { modules: ['./modules/www.nix'], build: { host: 'portco' } }`),
  );
  await expectBadInput(
    ['deploy', '-c', dir],
    /^nix-hive: systems\.www\.build\.host: "portco" is neither an instance of the hive nor an ssh-ng:\/\/ URI \(did you mean "portico"\?\)$/m,
  );
  await writeFile(
    path.join(dir, 'hive.config.ts'),
    TS(`www: { modules: ['./modules/www.nix'] }`, `build: { host: 'ssh-ng://' },`),
  );
  await expectBadInput(
    ['deploy', '-c', dir],
    /^nix-hive: build\.host: malformed build host URI "ssh-ng:\/\/"/m,
  );
  await writeFile(path.join(dir, 'hive.config.ts'), TS(`www: { modules: ['./modules/www.nix'] }`));
  await expectBadInput(
    ['deploy', '-c', dir, '--build-host', 'nowhere'],
    /^nix-hive: --build-host: "nowhere" is neither an instance/m,
  );
});

test('a seed-format hive whose instance names an unknown system: Nix’s message, the field and the file', async () => {
  await rm(path.join(dir, 'hive.config.ts'), { force: true });
  await writeFile(path.join(dir, 'default.nix'), SEED('wwww'));
  await expectBadInput(
    ['deploy', '-c', dir],
    /^nix-hive: instances\.www-1\.system: system wwww not found in the systems section \(Nix, in .*default\.nix\)$/m,
  );
  await writeFile(path.join(dir, 'hive.nix'), '{ systems = ; }\n');
  await expectBadInput(
    ['plan', '-c', path.join(dir, 'hive.nix')],
    /^nix-hive: .*hive\.nix: syntax error, unexpected ';'.*hive\.nix:1:13/m,
  );
  await rm(path.join(dir, 'hive.nix'));
});

test('import hive.nix -o hive.config.ts: the same plan, and the same systems built', async () => {
  await writeFile(path.join(dir, 'default.nix'), SEED('www'));
  const conv = path.join(dir, 'converted', 'hive.config.ts');
  const imp = await nixHive('import', path.join(dir, 'default.nix'), '-o', conv);
  assert.equal(imp.exitCode, 0, imp.stderr);
  const plan = async (c: string) => {
    const r = await nixHive('plan', '-c', c, '--json', 'portico', '*');
    assert.equal(r.exitCode, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  assert.deepEqual(await plan(conv), await plan(dir));
  const built = async (c: string) => {
    const r = await nixHive('build', '-c', c, '--no-state');
    assert.equal(r.exitCode, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    return Object.fromEntries(Object.entries(out.systems).map(([n, s]: [string, any]) => [n, s.outPath]));
  };
  const fromSeed = await built(dir);
  assert.ok(String(fromSeed.www).startsWith('/nix/store/'));
  assert.deepEqual(await built(conv), fromSeed);
  assert.match(await readFile(path.join(dir, 'converted', 'modules', 'www.nix'), 'utf8'), /configuration/);
  await rm(path.join(dir, '.hive'), { recursive: true, force: true });
  await rm(path.join(dir, 'converted'), { recursive: true, force: true });
});

test('a flake whose lock is out of date fails with Nix’s message, and its lock is not rewritten', async () => {
  const flake = path.join(dir, 'fleet');
  await cp(path.join(EXAMPLE, 'modules'), path.join(flake, 'modules'), { recursive: true });
  const flakeNix = (extra: string) => `{
  inputs.nixpkgs = { url = ${JSON.stringify(`path:${STUB_NIXPKGS}`)}; flake = false; };
  ${extra}
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.www = import "\${nixpkgs}/nixos/lib/eval-config.nix" {
      system = "x86_64-linux";
      modules = [ ./modules/www.nix ];
    };
  };
}
`;
  await writeFile(path.join(flake, 'flake.nix'), flakeNix(''));
  const lock = await run(
    ['nix', '--extra-experimental-features', 'nix-command flakes', 'flake', 'lock', `path:${flake}`],
    { env },
  );
  assert.equal(lock.exitCode, 0, lock.stderr);
  const locked = await readFile(path.join(flake, 'flake.lock'));
  // A new input the lock does not have: Nix would rewrite the lock unless told not to.
  await writeFile(
    path.join(flake, 'flake.nix'),
    flakeNix(`inputs.extra = { url = ${JSON.stringify(`path:${STUB_NIXPKGS}/lib`)}; flake = false; };`),
  );
  await writeFile(
    path.join(flake, 'hive.config.ts'),
    `export default { flake: '.', instances: { w: { system: 'www', address: '10.0.0.1' } } };\n`,
  );
  const r = await nixHive('plan', '-c', flake);
  assert.equal(r.exitCode, 2, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /^nix-hive: flake: cannot list nixosConfigurations of .*fleet: .*lock/m);
  assert.deepEqual(await readFile(path.join(flake, 'flake.lock')), locked, 'flake.lock untouched');
  await rm(flake, { recursive: true, force: true });
});

test('a signing key inside a (non-git) flake folder is refused: Nix would copy it into the store', async () => {
  const flake = path.join(dir, 'keyed');
  await cp(path.join(EXAMPLE, 'keys'), path.join(flake, 'keys'), { recursive: true });
  await writeFile(path.join(flake, 'flake.nix'), '{ outputs = _: { }; }\n');
  await writeFile(
    path.join(flake, 'hive.config.ts'),
    `export default { signingKey: './keys/hive.sec', systems: { www: { flake: '.#www' } }, instances: {} };\n`,
  );
  const r = await nixHive('plan', '-c', flake);
  assert.equal(r.exitCode, 2, `${r.stdout}\n${r.stderr}`);
  assert.match(
    r.stderr,
    /^nix-hive: signingKey: ".*keys\/hive\.sec" lies inside the flake folder .*world-readable store/m,
  );
  await rm(flake, { recursive: true, force: true });
});

test('a flake with one broken nixosConfiguration: only that system fails, with Nix’s message', async () => {
  const flake = path.join(dir, 'broken-flake');
  await cp(path.join(EXAMPLE, 'modules'), path.join(flake, 'modules'), { recursive: true });
  await writeFile(path.join(flake, 'modules', 'broken.nix'), '{ ... }: { networking.hostName = 1 + "x"; }\n');
  await writeFile(
    path.join(flake, 'flake.nix'),
    `{
  inputs.nixpkgs = { url = ${JSON.stringify(`path:${STUB_NIXPKGS}`)}; flake = false; };
  outputs = { self, nixpkgs }:
    let nixos = m: import "\${nixpkgs}/nixos/lib/eval-config.nix" { system = "x86_64-linux"; modules = [ m ]; };
    in {
      nixosConfigurations.www = nixos ./modules/www.nix;
      nixosConfigurations.broken = nixos ./modules/broken.nix;
    };
}
`,
  );
  const lock = await run(
    ['nix', '--extra-experimental-features', 'nix-command flakes', 'flake', 'lock', `path:${flake}`],
    { env },
  );
  assert.equal(lock.exitCode, 0, lock.stderr);
  await writeFile(
    path.join(flake, 'hive.config.ts'),
    `export default { flake: '.', instances: { a: { system: 'www', address: '10.0.0.1' }, b: { system: 'broken', address: '10.0.0.2' } } };\n`,
  );
  const r = await nixHive('build', '-c', flake, '--no-state');
  assert.equal(r.exitCode, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /build broken failed: .*cannot add a string to an integer/);
  assert.doesNotMatch(r.stderr, /build www failed/);
  await rm(flake, { recursive: true, force: true });
});
