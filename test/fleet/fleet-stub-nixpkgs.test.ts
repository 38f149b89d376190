// The stub nixpkgs (test/fixtures/nixpkgs): its module system merges like NixOS's, its toplevel path
// follows module content, the payload has the asked size, and switch-to-configuration behaves per goal.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { buildStubSystem, nixRun, STUB_NIXPKGS, type Fleet } from './harness/fleet.ts';
import { must } from './harness/proc.ts';
import { useFleet } from './support/use-fleet.ts';

const NIX = ['--extra-experimental-features', 'nix-command'];
const NIX_ENV = {
  ...(process.env as Record<string, string>),
  NIX_CONFIG: 'substituters =\n',
  NIX_REMOTE: 'local',
};

/** Evaluates a fixed Nix expression against the stub (`<nixpkgs>` = the fixture) and parses its JSON. */
async function evalJson(expr: string): Promise<unknown> {
  const r = await must(
    ['nix-instantiate', '--eval', '--strict', '--json', '-I', `nixpkgs=${STUB_NIXPKGS}`, '-E', expr],
    { env: NIX_ENV },
  );
  return JSON.parse(r.stdout);
}

const evalModules = (modules: string) =>
  `(import <nixpkgs/nixos/lib/eval-config.nix> { modules = [ ${modules} ]; }).config`;

describe('stub nixpkgs: module system', () => {
  test('lists concatenate, attrsets merge, anonymous imports count each time (as in NixOS)', async () => {
    const v = await evalJson(`
      let
        shared = { environment.etc.shared.text = "s"; nix.settings.substituters = [ "c" ]; };
        m = (${evalModules(`
          { imports = [ shared ]; nix.settings.substituters = [ "a" ]; services.x.enable = true; }
          { imports = [ shared ]; nix.settings.substituters = [ "b" ]; services.x.port = 80; }
        `)});
      in { inherit (m.nix.settings) substituters; inherit (m.services) x; etc = builtins.attrNames m.environment.etc; }`);
    const got = v as { substituters: string[]; x: object; etc: string[] };
    assert.deepEqual([...got.substituters].sort(), ['a', 'b', 'c', 'c']);
    assert.deepEqual(got.x, { enable: true, port: 80 });
    assert.deepEqual(got.etc, ['shared']);
  });

  test('a module file imported twice is evaluated once', async () => {
    const dir = await mkdtemp('/tmp/nh-stub-');
    try {
      await writeFile(`${dir}/shared.nix`, '{ nix.settings.substituters = [ "shared" ]; }\n');
      await writeFile(
        `${dir}/a.nix`,
        '{ imports = [ ./shared.nix ]; nix.settings.substituters = [ "a" ]; }\n',
      );
      const v = await evalJson(
        `(${evalModules(`${dir}/a.nix ${dir}/shared.nix`)}).nix.settings.substituters`,
      );
      assert.deepEqual([...(v as string[])].sort(), ['a', 'shared']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('mkDefault, mkForce, mkIf (on config itself), mkMerge, options with defaults and a fixpoint', async () => {
    const v = await evalJson(`
      let m = ${evalModules(`
        ({ config, lib, ... }: {
          options.demo.enable = lib.mkEnableOption "demo";
          options.demo.greeting = lib.mkOption { type = lib.types.str; default = "hi"; };
          options.demo.lines = lib.mkOption { type = lib.types.lines; default = ""; };
          config = lib.mkIf config.demo.enable (lib.mkMerge [
            { networking.hostName = lib.mkDefault "from-default"; }
            { environment.etc.greeting.text = "\${config.demo.greeting} from \${config.networking.hostName}"; }
          ]);
        })
        ({ lib, ... }: { demo.enable = true; demo.lines = "one"; hive.activationDelay = lib.mkForce 2; })
        { demo.lines = "two"; hive.activationDelay = 5; networking.hostName = "web"; }
        ({ lib, ... }: { services.off = lib.mkIf false { enable = true; }; })
      `)}; in {
        inherit (m.networking) hostName; inherit (m.hive) activationDelay;
        greeting = m.environment.etc.greeting.text; lines = m.demo.lines;
        off = builtins.tryEval m.services.off.enable;
      }`);
    assert.deepEqual(v, {
      hostName: 'web',
      activationDelay: 2,
      greeting: 'hi from web',
      lines: 'one\ntwo',
      off: { success: false, value: false },
    });
  });

  test('conflicting definitions fail with the option path', async () => {
    const r = await nixRun({ dir: '/tmp', sshConfig: '/dev/null', nixEnv: () => ({}) }, [
      'nix-instantiate',
      '--eval',
      '--strict',
      '-I',
      `nixpkgs=${STUB_NIXPKGS}`,
      '-E',
      `${evalModules('{ networking.hostName = "a"; } { networking.hostName = "b"; }')}.networking.hostName`,
    ]);
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /networking\.hostName' has conflicting definition values/);
  });

  test('nixos/default.nix and the top-level pkgs evaluate', async () => {
    const v = await evalJson(`
      let
        nixos = import <nixpkgs/nixos> { configuration = { networking.hostName = "via-default"; }; };
        pkgs = import <nixpkgs> { };
      in { name = nixos.system.name; hello = pkgs.hello.name; text = (pkgs.writeText "t" "x").name; }`);
    assert.deepEqual(v, { name: 'nixos-system-via-default-24.11.stub', hello: 'hello', text: 't' });
  });
});

describe('stub nixpkgs: toplevel and activation on a fleet host', () => {
  let fleet: Fleet;

  useFleet({ host: 'public' }, (u) => (fleet = u.fleet));

  test('the toplevel path follows module content and is stable for the same content', async () => {
    const a1 = await buildStubSystem(fleet, { networking: { hostName: 'same' }, services: { a: 1 } });
    const a2 = await buildStubSystem(fleet, { services: { a: 1 }, networking: { hostName: 'same' } });
    const b = await buildStubSystem(fleet, { networking: { hostName: 'same' }, services: { a: 2 } });
    assert.equal(a1, a2);
    assert.notEqual(a1, b);
    const conf = readFileSync(`${a1}/etc/nix/nix.conf`, 'utf8');
    assert.equal(conf, '');
    const withNix = await buildStubSystem(fleet, {
      nix: { settings: { substituters: ['ssh://root@10.0.0.1'], 'trusted-public-keys': ['k-1:abc='] } },
    });
    assert.equal(
      readFileSync(`${withNix}/etc/nix/nix.conf`, 'utf8'),
      'substituters = ssh://root@10.0.0.1\ntrusted-public-keys = k-1:abc=\n',
    );
  });

  test('hive.payloadSize makes the closure that big, over several store paths', async () => {
    const system = await buildStubSystem(fleet, {
      networking: { hostName: 'payload' },
      hive: { payloadSize: '2M' },
    });
    const r = await nixRun(fleet, ['nix', ...NIX, 'path-info', '-r', '--json', system]);
    assert.equal(r.exitCode, 0, r.stderr);
    const infos = JSON.parse(r.stdout) as Array<{ path: string; narSize: number }>;
    const payload = infos.filter((i) => i.path.includes('-hive-payload-'));
    assert.equal(payload.length, 4);
    const total = payload.reduce((n, i) => n + statSync(i.path).size, 0);
    assert.equal(total, 2 * 1024 * 1024);
  });

  test('switch-to-configuration: activationDelay sleeps, activationFails exits non-zero, logs every call', async () => {
    const host = fleet.hosts.host!;
    const slow = await buildStubSystem(fleet, {
      networking: { hostName: 'slow' },
      hive: { activationDelay: 1 },
    });
    const broken = await buildStubSystem(fleet, {
      networking: { hostName: 'broken' },
      hive: { activationFails: true },
    });
    for (const p of [slow, broken]) {
      const c = await nixRun(fleet, ['nix', ...NIX, 'copy', '--to', 'ssh://root@host', p]);
      assert.equal(c.exitCode, 0, c.stderr);
    }
    const started = Date.now();
    const s = await host.exec([`${slow}/bin/switch-to-configuration`, 'test']);
    assert.equal(s.exitCode, 0, s.stderr);
    assert.ok(Date.now() - started >= 1000, 'slept for activationDelay');
    assert.equal((await host.exec(['readlink', '/run/current-system'])).stdout.trim(), slow);

    const f = await host.exec([`${broken}/bin/switch-to-configuration`, 'switch']);
    assert.notEqual(f.exitCode, 0);
    assert.match(f.stderr, /hive\.activationFails/);
    assert.equal((await host.exec(['readlink', '/run/current-system'])).stdout.trim(), slow, 'unchanged');

    const log = (await host.exec(['cat', '/run/hive-activation.log'])).stdout.trim().split('\n');
    assert.equal(log.length, 2);
    assert.match(log[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z test \/nix\/store\/.*-nixos-system-slow-/);
    assert.match(log[1]!, / switch \/nix\/store\/.*-nixos-system-broken-/);
  });
});
