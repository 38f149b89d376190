// The test fleet itself, on real hosts: private stores, isolation of the internal network, pinned host
// keys through the jump host, nix copy, profiles, signed substitution from the jump host, stub
// activation, and a dispose that leaves nothing behind.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  buildStubSystem,
  nixRun,
  requireRoot,
  sshRun,
  startFleet,
  writeSshConfig,
  type Fleet,
} from './harness/fleet.ts';
import { netnsPids } from './harness/dispose.ts';
import { newRunNames, releaseClaim } from './harness/names.ts';
import { must } from './harness/proc.ts';

const NIX = ['--extra-experimental-features', 'nix-command'];

/** Resolves true when a TCP connection to address:22 opens within `ms`. */
function tcpOpens(address: string, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port: 22, timeout: ms });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
  });
}

function readlinkOrNull(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

/** A signing key pair made with nix-store --generate-binary-cache-key. */
async function signingKey(dir: string, name: string): Promise<{ sec: string; pub: string; line: string }> {
  const sec = `${dir}/${name}.sec`;
  const pub = `${dir}/${name}.pub`;
  await must(['nix-store', '--generate-binary-cache-key', name, sec, pub]);
  return { sec, pub, line: (await readFile(pub, 'utf8')).trim() };
}

test("a run's two /24s are claimed as soon as they are drawn: another run (a file beside it) cannot take them", async () => {
  requireRoot();
  const n = await newRunNames();
  try {
    for (const prefix of [n.publicPrefix, n.internalPrefix]) {
      // What another run's claim does: an exclusive route for the /24.
      const r = spawnSync('ip', ['route', 'add', 'unreachable', `${prefix}.0/24`]);
      if (r.status === 0) execFileSync('ip', ['route', 'delete', 'unreachable', `${prefix}.0/24`]);
      assert.notEqual(r.status, 0, `${prefix}.0/24 could be claimed by another run`);
    }
  } finally {
    for (const prefix of [n.publicPrefix, n.internalPrefix]) await releaseClaim(prefix);
  }
});

describe('test fleet: 1 jump host and 3 internal hosts', () => {
  let fleet: Fleet;
  let keys: string;
  let trusted: { sec: string; pub: string; line: string };
  let untrusted: { sec: string; pub: string; line: string };

  before(async () => {
    requireRoot();
    keys = await mkdtemp('/tmp/nh-keys-');
    trusted = await signingKey(keys, 'fleet-test-1');
    untrusted = await signingKey(keys, 'fleet-test-other-1');
    fleet = await startFleet({
      hosts: [
        { name: 'jump', network: 'both' },
        { name: 'a', network: 'internal' },
        // b and c substitute from the jump host and trust only the test signing key.
        ...['b', 'c'].map((name) => ({
          name,
          network: 'internal' as const,
          nixConf: (h: Record<string, { internalAddress?: string }>) =>
            [
              `substituters = ssh://root@${h.jump!.internalAddress}`,
              `trusted-public-keys = ${trusted.line}`,
              'require-sigs = true',
            ].join('\n'),
        })),
      ],
    });
  });

  after(async () => {
    await fleet?.dispose();
    if (keys) await rm(keys, { recursive: true, force: true });
  });

  test('each host runs its own sshd, hostname and /root', async () => {
    for (const name of ['jump', 'a', 'b', 'c']) {
      const r = await sshRun(fleet, name, ['sh', '-c', 'hostname; echo "$HOME"; ls -A /root']);
      assert.equal(r.exitCode, 0, r.stderr);
      const [hostname, home, ...files] = r.stdout.trim().split('\n');
      assert.equal(hostname, name);
      assert.equal(home, '/root');
      assert.deepEqual(files, ['.ssh'], 'a clean per-host /root (no .bashrc running pyenv)');
    }
    assert.ok((await fleet.hosts.a!.connections()) >= 1);
  });

  test("each host's store is private", async () => {
    const a = fleet.hosts.a!;
    const made = await a.exec([
      'sh',
      '-c',
      'echo "only on a $RANDOM" > /root/private && nix-store --add /root/private',
    ]);
    assert.equal(made.exitCode, 0, made.stderr);
    const path = made.stdout.trim();
    assert.match(path, /^\/nix\/store\/[a-z0-9]{32}-private$/);
    assert.equal((await a.exec(['nix-store', '--check-validity', path])).exitCode, 0);
    assert.ok(existsSync(`${a.dir}${path}`), 'the path lives in a’s own folder');
    for (const other of ['jump', 'b', 'c']) {
      const r = await fleet.hosts[other]!.exec(['nix-store', '--check-validity', path]);
      assert.notEqual(r.exitCode, 0, `${path} must not be valid on ${other}`);
      assert.ok(!existsSync(`${fleet.hosts[other]!.dir}${path}`));
    }
    assert.ok(!existsSync(path), 'nor in the deployer’s /nix/store');
  });

  test('internal hosts are unreachable from the deployer without the jump host', async () => {
    const jump = fleet.hosts.jump!;
    assert.equal(
      await tcpOpens(jump.publicAddress!, 3000),
      true,
      'the jump host answers on its public address',
    );
    await Promise.all(
      ['a', 'b', 'c'].map(async (name) => {
        const h = fleet.hosts[name]!;
        assert.equal(h.publicAddress, undefined);
        assert.equal(h.address, h.internalAddress);
        // The deployer's route for the internal subnet points at the jump host, which does not forward.
        assert.equal(
          await tcpOpens(h.internalAddress!, 1500),
          false,
          `${name} must not be reachable directly`,
        );
        const direct = await sshRun(fleet, name, ['true'], {
          sshOptions: ['-o', 'ProxyJump=none', '-o', 'ConnectTimeout=2'],
        });
        assert.notEqual(direct.exitCode, 0);
      }),
    );
    const forwarding = await jump.exec(['cat', '/proc/sys/net/ipv4/ip_forward']);
    assert.equal(forwarding.stdout.trim(), '0');
  });

  test('internal hosts are reachable through the jump host, with pinned host keys only', async () => {
    const config = readFileSync(fleet.sshConfig, 'utf8');
    assert.match(config, /StrictHostKeyChecking yes/);
    assert.doesNotMatch(config, /StrictHostKeyChecking no/i);
    for (const name of ['a', 'b', 'c']) {
      const r = await sshRun(fleet, name, ['hostname']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stdout.trim(), name);
      // The connection came from the jump host's internal address, not from the deployer.
      assert.ok((await fleet.hosts[name]!.connections(fleet.hosts.jump!.internalAddress)) >= 1);
      assert.equal(await fleet.hosts[name]!.connections(fleet.deployerAddress), 0);
    }
    // A wrong pinned key for `a` must stop the connection (pinning is real).
    const wrongKnown = `${fleet.dir}/known_hosts.wrong`;
    const lines = readFileSync(fleet.knownHosts, 'utf8').split('\n');
    const aKey = fleet.hosts.a!.hostKey;
    await writeFile(wrongKnown, lines.map((l) => l.replace(aKey, fleet.hosts.b!.hostKey)).join('\n'));
    const cfg = await writeSshConfig(
      { hosts: fleet.hosts, clientKey: fleet.clientKey, knownHosts: wrongKnown },
      `${fleet.dir}/ssh_config.wrong`,
    );
    const bad = await must(['ssh', '-F', cfg, 'jump', 'true']).then(() =>
      sshRun({ ...fleet, sshConfig: cfg }, 'a', ['true']),
    );
    assert.notEqual(bad.exitCode, 0);
    assert.match(bad.stderr, /host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i);
  });

  let system = '';

  test('nix copy --to ssh:// reaches the jump host and, through it, an internal host', async () => {
    system = await buildStubSystem(fleet, { networking: { hostName: 'fleet-test-a' } });
    assert.match(system, /^\/nix\/store\/[a-z0-9]{32}-nixos-system-fleet-test-a-/);
    for (const name of ['jump', 'a']) {
      const r = await nixRun(fleet, ['nix', ...NIX, 'copy', '--to', `ssh://root@${name}`, system]);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal((await fleet.hosts[name]!.exec(['nix-store', '--check-validity', system])).exitCode, 0);
    }
    const b = await fleet.hosts.b!.exec(['nix-store', '--check-validity', system]);
    assert.notEqual(b.exitCode, 0, 'b did not receive it');
  });

  test('nix-env -p /nix/var/nix/profiles/system --set works on a host', async () => {
    const r = await sshRun(fleet, 'a', ['nix-env', '-p', '/nix/var/nix/profiles/system', '--set', system]);
    assert.equal(r.exitCode, 0, r.stderr);
    const link = await fleet.hosts.a!.exec(['readlink', '-f', '/nix/var/nix/profiles/system']);
    assert.equal(link.stdout.trim(), system);
  });

  test('an internal host substitutes a path signed with a trusted key from the jump host', async () => {
    const signed = await buildStubSystem(fleet, { networking: { hostName: 'fleet-test-signed' } });
    const sign = await nixRun(fleet, ['nix', ...NIX, 'store', 'sign', '-r', '-k', trusted.sec, signed]);
    assert.equal(sign.exitCode, 0, sign.stderr);
    const toJump = await nixRun(fleet, ['nix', ...NIX, 'copy', '--to', 'ssh://root@jump', signed]);
    assert.equal(toJump.exitCode, 0, toJump.stderr);
    const jumpSigs = await fleet.hosts.jump!.exec(['nix', ...NIX, 'path-info', '--sigs', signed]);
    assert.match(jumpSigs.stdout, /fleet-test-1:/, 'the signature travelled with the path');

    const before = await fleet.hosts.jump!.connections(fleet.hosts.c!.internalAddress);
    const r = await nixRun(fleet, ['nix', ...NIX, 'copy', '-s', '--to', 'ssh://root@c', signed]);
    assert.equal(r.exitCode, 0, r.stderr);
    const jumpUrl = `ssh://root@${fleet.hosts.jump!.internalAddress}`;
    assert.ok(
      r.stderr.includes(`copying path '${signed}' from '${jumpUrl}'`),
      `expected Nix to say it copied from the jump host, got:\n${r.stderr}`,
    );
    assert.equal((await fleet.hosts.c!.exec(['nix-store', '--check-validity', signed])).exitCode, 0);
    assert.ok((await fleet.hosts.jump!.connections(fleet.hosts.c!.internalAddress)) > before);
  });

  test('an internal host refuses a path signed with a key it does not trust', async () => {
    const other = await buildStubSystem(fleet, { networking: { hostName: 'fleet-test-untrusted' } });
    const sign = await nixRun(fleet, ['nix', ...NIX, 'store', 'sign', '-r', '-k', untrusted.sec, other]);
    assert.equal(sign.exitCode, 0, sign.stderr);
    const toJump = await nixRun(fleet, ['nix', ...NIX, 'copy', '--to', 'ssh://root@jump', other]);
    assert.equal(toJump.exitCode, 0, toJump.stderr);
    // b asks its substituter (the jump host) itself: the path is there, but no trusted signature.
    const r = await fleet.hosts.b!.exec(['nix-store', '--realise', other]);
    assert.notEqual(r.exitCode, 0, r.stdout);
    assert.notEqual((await fleet.hosts.b!.exec(['nix-store', '--check-validity', other])).exitCode, 0);
    assert.match(r.stderr, /is not signed by any of the keys in 'trusted-public-keys'/);
  });

  test('the stub toplevel activates: switch moves /run/current-system, dry-activate does not', async () => {
    const a = fleet.hosts.a!;
    const stc = `${system}/bin/switch-to-configuration`;
    const deployerCurrent = readlinkOrNull('/run/current-system');
    const sw = await sshRun(fleet, 'a', [stc, 'switch']);
    assert.equal(sw.exitCode, 0, sw.stderr);
    assert.equal((await a.exec(['readlink', '/run/current-system'])).stdout.trim(), system);

    const next = await buildStubSystem(fleet, {
      networking: { hostName: 'fleet-test-a' },
      hive: { activationDelay: 0 },
      services: { next: true },
    });
    assert.notEqual(next, system, 'different module content, different toplevel');
    const copy = await nixRun(fleet, ['nix', ...NIX, 'copy', '--to', 'ssh://root@a', next]);
    assert.equal(copy.exitCode, 0, copy.stderr);
    const dry = await sshRun(fleet, 'a', [`${next}/bin/switch-to-configuration`, 'dry-activate']);
    assert.equal(dry.exitCode, 0, dry.stderr);
    assert.match(dry.stderr, /would activate/);
    assert.equal(
      (await a.exec(['readlink', '/run/current-system'])).stdout.trim(),
      system,
      'dry-activate changes nothing',
    );

    const boot = await sshRun(fleet, 'a', [`${next}/bin/switch-to-configuration`, 'boot']);
    assert.equal(boot.exitCode, 0, boot.stderr);
    assert.equal(
      (await a.exec(['readlink', '/run/current-system'])).stdout.trim(),
      system,
      'boot does not switch',
    );

    const t = await sshRun(fleet, 'a', [`${next}/bin/switch-to-configuration`, 'test']);
    assert.equal(t.exitCode, 0, t.stderr);
    assert.equal((await a.exec(['readlink', '/run/current-system'])).stdout.trim(), next);

    const bad = await sshRun(fleet, 'a', [stc, 'reboot-now']);
    assert.notEqual(bad.exitCode, 0);
    assert.match(bad.stderr, /Usage: .*switch\|boot\|test\|dry-activate/);

    const log = (await a.exec(['cat', '/run/hive-activation.log'])).stdout.trim().split('\n');
    assert.deepEqual(
      log.map((l) => l.split(' ').slice(1).join(' ')),
      [`switch ${system}`, `dry-activate ${next}`, `boot ${next}`, `test ${next}`],
    );
    // Only a's /run saw any of it: not b's, not the deployer's.
    assert.notEqual((await fleet.hosts.b!.exec(['test', '-e', '/run/current-system'])).exitCode, 0);
    assert.equal(readlinkOrNull('/run/current-system'), deployerCurrent);
  });

  test('sshd can be stopped, started, frozen and thawed', async () => {
    const b = fleet.hosts.b!;
    await b.stopSshd();
    const down = await sshRun(fleet, 'b', ['true'], { sshOptions: ['-o', 'ConnectTimeout=2'] });
    assert.notEqual(down.exitCode, 0);
    await b.startSshd();
    assert.equal((await sshRun(fleet, 'b', ['true'])).exitCode, 0);
    await b.freezeSshd();
    const frozen = await sshRun(fleet, 'b', ['true'], {
      sshOptions: ['-o', 'ConnectTimeout=2'],
      timeoutMs: 10_000,
    });
    assert.notEqual(frozen.exitCode, 0);
    await b.thawSshd();
    assert.equal((await sshRun(fleet, 'b', ['true'])).exitCode, 0);
  });

  test('byte counters see traffic on the uplink and on the internal network', async () => {
    const up0 = await fleet.uplinkBytes();
    const in0 = await fleet.internalBytes();
    assert.equal((await sshRun(fleet, 'c', ['head', '-c', '200000', '/dev/zero'])).exitCode, 0);
    const up1 = await fleet.uplinkBytes();
    const in1 = await fleet.internalBytes();
    assert.ok(up1.rx - up0.rx >= 200_000, `uplink rx grew by ${up1.rx - up0.rx}`);
    assert.ok(in1.tx - in0.tx >= 200_000, `internal tx grew by ${in1.tx - in0.tx}`);
  });

  test('after dispose() no process, namespace, link, route or folder of the run is left', async () => {
    const nsBefore = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    const ours = nsBefore
      .split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter((n) => n.startsWith(`nh-${fleet.runId}-`));
    assert.equal(ours.length, 5, 'four hosts and the switch');
    const pids = ours.flatMap(netnsPids);
    assert.ok(pids.length >= 8, 'holders and sshds were running');
    // An ssh master whose socket lives in the run's folder must go too.
    const controlDir = `${fleet.dir}/cm`;
    execFileSync('mkdir', ['-p', controlDir]);
    const cfg = await writeSshConfig(
      { hosts: fleet.hosts, clientKey: fleet.clientKey, knownHosts: fleet.knownHosts },
      `${fleet.dir}/ssh_config.cm`,
      { controlDir },
    );
    await must(['ssh', '-F', cfg, 'a', 'true']);
    assert.ok(readdirSync(controlDir).length >= 1, 'a control socket exists');

    await fleet.dispose();
    await fleet.dispose(); // idempotent

    const nsAfter = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    assert.ok(!nsAfter.includes(`nh-${fleet.runId}-`), nsAfter);
    for (const pid of pids) assert.ok(!existsSync(`/proc/${pid}`), `pid ${pid} is gone`);
    assert.ok(!existsSync(`/sys/class/net/${fleet.uplink}`), 'uplink deleted');
    assert.ok(!existsSync(fleet.dir), 'folder deleted');
    const routes = execFileSync('ip', ['route', 'show', 'table', 'all'], { encoding: 'utf8' });
    assert.ok(!routes.includes(fleet.uplink), routes);
    // Neither /24 stays claimed (names.ts): no route of any type is left for them.
    for (const address of [fleet.deployerAddress, fleet.hosts.a!.internalAddress!]) {
      const prefix = address.split('.').slice(0, 3).join('.');
      const left = new RegExp(`(^|[^\\d.])${prefix.replaceAll('.', '\\.')}\\.`, 'm');
      assert.doesNotMatch(routes, left, `a route for ${prefix}.0/24 is left`);
    }
    const procs = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    assert.ok(!procs.includes(fleet.dir), 'no process mentions the run folder');
  });
});
