// The fleet's options and edges: uplink shaping (tc tbf), a tiny tmpfs /nix that fills up, the
// inventory JSON for example/, exec with stdin, and the clear error without root.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { buildStubSystem, nixRun, STUB_NIXPKGS, type Fleet } from './harness/fleet.ts';
import { run } from './harness/proc.ts';
import { useFleet } from './support/use-fleet.ts';

const NIX = ['--extra-experimental-features', 'nix-command'];

describe('test fleet options: shaped uplink, small /nix, inventory JSON', () => {
  let fleet: Fleet;

  useFleet({ edge: 'public', tiny: { network: 'public', nixSize: '4m' } }, (u) => (fleet = u.fleet), {
    shapeUplinkMbit: 16,
  });

  test('shapeUplinkMbit limits what the deployer sends, and the uplink counters see it', async () => {
    const qdisc = await run(['tc', 'qdisc', 'show', 'dev', fleet.uplink]);
    assert.match(qdisc.stdout, /tbf .*rate 16Mbit/);
    // 4 MiB of incompressible payload at 16 Mbit/s needs at least ~2 s.
    const system = await buildStubSystem(fleet, {
      networking: { hostName: 'shaped' },
      hive: { payloadSize: '4M' },
    });
    const before = await fleet.uplinkBytes();
    const started = Date.now();
    const r = await nixRun(fleet, ['nix', ...NIX, 'copy', '--to', 'ssh://root@edge', system]);
    const seconds = (Date.now() - started) / 1000;
    assert.equal(r.exitCode, 0, r.stderr);
    const sent = (await fleet.uplinkBytes()).tx - before.tx;
    assert.ok(sent >= 4 * 1024 * 1024, `sent ${sent} bytes`);
    assert.ok(seconds >= 1.8, `4 MiB took only ${seconds} s at 16 Mbit/s`);
  });

  test('nixSize gives a host a small /nix that fills up', async () => {
    const df = await fleet.hosts.tiny!.exec(['df', '-k', '--output=size,fstype', '/nix']);
    assert.match(df.stdout, /4096\s+tmpfs/);
    const system = await buildStubSystem(fleet, {
      networking: { hostName: 'too-big' },
      hive: { payloadSize: '8M' },
    });
    const r = await nixRun(fleet, ['nix', ...NIX, 'copy', '--to', 'ssh://root@tiny', system]);
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /No space left on device/);
  });

  test('writeInventoryJson describes the fleet for example/ (NIX_HIVE_FLEET)', async () => {
    const file = `${fleet.dir}/fleet.json`;
    await fleet.writeInventoryJson(file);
    const j = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(j.nixpkgs, STUB_NIXPKGS);
    assert.equal(j.clientKey, fleet.clientKey);
    assert.deepEqual(Object.keys(j.hosts), ['edge', 'tiny']);
    assert.deepEqual(j.hosts.edge, {
      address: fleet.hosts.edge!.publicAddress,
      publicAddress: fleet.hosts.edge!.publicAddress,
      hostKey: fleet.hosts.edge!.hostKey,
    });
    assert.match(j.hosts.edge.hostKey, /^ssh-ed25519 [A-Za-z0-9+/=]+$/);
  });

  test('exec passes stdin and returns the exit code', async () => {
    const r = await fleet.hosts.edge!.exec(['sh', '-c', 'cat > /root/in && wc -c < /root/in; exit 3'], {
      input: 'hello',
    });
    assert.equal(r.exitCode, 3);
    assert.equal(r.stdout.trim(), '5');
  });
});

test('without root, the fleet stops with a clear message (never a silent skip)', async () => {
  const script = `import('${new URL('./harness/fleet.ts', import.meta.url).href}').then((m) => m.requireRoot())`;
  const r = await run(
    [
      'setpriv',
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      process.execPath,
      '--import',
      'tsx',
      '-e',
      script,
    ],
    {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp' },
    },
  );
  assert.notEqual(r.exitCode, 0);
  assert.match(r.stderr, /fleet tests need root \(/);
});
