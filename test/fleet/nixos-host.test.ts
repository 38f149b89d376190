// The NixOS-like fleet host (HostSpec kind 'nixos'): systemd is its PID 1, sshd and nix-daemon run as units,
// logins get logind sessions, units get NixOS's PATH (no coreutils), /run/keys and /run/booted-system are
// as NixOS has them, and `reboot` restarts only that container, never this machine.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { sshRun, type Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { waitFor } from './harness/proc.ts';

let fleet: Fleet;
const machineBootId = async () => (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
/** This machine's PID 1 and its start time: a reboot of the machine would change them. */
const machinePid1 = async () => (await readFile('/proc/1/stat', 'utf8')).split(') ')[1]!.split(' ')[19];

useFleet(
  {
    portico: { network: 'both', kind: 'nixos' },
    'www-1': { network: 'internal', kind: 'nixos', authorizedKeysInHomedir: false },
    plain: 'public',
  },
  (u) => (fleet = u.fleet),
);

test('systemd is PID 1; sshd and nix-daemon run as units; ssh works, also through the jump host', async () => {
  for (const name of ['portico', 'www-1']) {
    const h = fleet.hosts[name]!;
    assert.equal((await h.exec(['cat', '/proc/1/comm'])).stdout.trim(), 'systemd');
    const units = await h.exec(['systemctl', 'is-active', 'ssh.service', 'nix-daemon.socket']);
    assert.equal(units.stdout.trim(), 'active\nactive', units.stderr);
    const r = await sshRun(fleet, name, ['sh', '-c', 'hostname; cat /proc/1/comm']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, `${name}\nsystemd\n`);
  }
});

test('a transient unit has NixOS’s PATH: systemd’s own bin, no coreutils (nixpkgs #261691)', async () => {
  const r = await sshRun(fleet, 'portico', [
    'systemd-run',
    '--wait',
    '--pipe',
    '--quiet',
    '--',
    'sh',
    '-c',
    'echo "$PATH"; command -v systemctl > /dev/null && echo has-systemctl; mv --version || echo no-mv',
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  const [path, ...rest] = r.stdout.trim().split('\n');
  for (const dir of path!.split(':'))
    assert.ok(!/^\/(usr\/)?(local\/)?s?bin$/.test(dir), `${dir} in the unit PATH`);
  assert.deepEqual(rest, ['has-systemctl', 'no-mv']);
});

test('each ssh login gets a logind session', async () => {
  const r = await sshRun(fleet, 'portico', [
    'sh',
    '-c',
    'cat /proc/self/sessionid; loginctl list-sessions --no-legend',
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /root/);
});

test('/run/keys is a ramfs root:keys 0750; nix-daemon listens under /nix/var/nix/daemon-socket', async () => {
  const h = fleet.hosts['portico']!;
  const r = await h.exec(['sh', '-c', 'stat -f -c %T /run/keys; stat -c "%U:%G %a" /run/keys']);
  assert.equal(r.stdout, 'ramfs\nroot:keys 750\n', r.stderr);
  const s = await h.exec(['test', '-S', '/nix/var/nix/daemon-socket/socket']);
  assert.equal(s.exitCode, 0);
});

test('authorizedKeysInHomedir false: sshd reads only /etc/ssh/authorized_keys.d/%u', async () => {
  const h = fleet.hosts['www-1']!;
  const conf = await h.exec(['sshd', '-T']);
  assert.match(conf.stdout, /^authorizedkeysfile \/etc\/ssh\/authorized_keys\.d\/%u$/m);
  // The key in ~root/.ssh is not read: remove the one in /etc and the login fails.
  await h.exec(['mv', '/etc/ssh/authorized_keys.d/root', '/etc/ssh/authorized_keys.d/root.off']);
  const refused = await sshRun(fleet, 'www-1', ['true']);
  await h.exec(['mv', '/etc/ssh/authorized_keys.d/root.off', '/etc/ssh/authorized_keys.d/root']);
  assert.equal(refused.exitCode, 255);
  assert.equal((await sshRun(fleet, 'www-1', ['true'])).exitCode, 0);
});

test('`reboot` over ssh restarts only that container: new boot_id, /run emptied, machine and others untouched', async () => {
  const machine = await machineBootId();
  const pid1 = await machinePid1();
  const host = fleet.hosts['portico']!;
  const other = fleet.hosts['plain']!;
  const otherBoot = await other.bootId();
  assert.deepEqual(await host.verifyPowerCover(), []);
  const before = await host.bootId();
  await host.exec(['touch', '/run/marker']);
  const r = await sshRun(fleet, 'portico', ['reboot'], { timeoutMs: 20_000 });
  assert.ok(r.exitCode === 0 || r.exitCode === 255, `ssh ended: ${r.exitCode} ${r.stderr}`);
  await waitFor(
    'a new boot_id on portico',
    async () => {
      const id = await host.bootId();
      return id !== before && id !== '';
    },
    60_000,
    200,
  );
  await waitFor(
    'portico to answer ssh',
    async () => (await sshRun(fleet, 'portico', ['true'])).exitCode === 0,
    60_000,
    500,
  );
  assert.equal((await host.exec(['test', '-e', '/run/marker'])).exitCode, 1, '/run emptied by the reboot');
  assert.deepEqual(await host.powerCalls(), ['reboot']);
  assert.equal(await machineBootId(), machine);
  assert.equal(await machinePid1(), pid1);
  assert.equal(await other.bootId(), otherBoot);
  assert.notEqual(await host.bootId(), machine);
  // /run/keys is mounted again, empty.
  const keys = await host.exec(['sh', '-c', 'stat -f -c %T /run/keys; ls -A /run/keys | wc -l']);
  assert.equal(keys.stdout, 'ramfs\n0\n');
});
