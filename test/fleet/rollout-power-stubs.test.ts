// Fleet safety: on a fleet host, every reboot path is a harmless stub and boot_id is the host's own file,
// so `reboot` run over ssh restarts only the simulated host, never the machine running the tests.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { sshRun, type Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { waitFor } from './harness/proc.ts';
import { STUB_SHA256 } from './harness/power-stubs.ts';

let fleet: Fleet;
const machineBootId = async () => (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();

useFleet({ portico: 'both', 'www-1': 'internal', spare: 'public' }, (u) => (fleet = u.fleet));

/** Refuses to go on unless the command the host would run for `name` is the stub (checked without running it). */
async function assertStub(host: string, name: string): Promise<void> {
  const r = await fleet.hosts[host]!.exec(['sh', '-c', 'sha256sum < "$(command -v "$1")"', 'sh', name]);
  assert.equal(r.stdout.split(' ')[0], STUB_SHA256, `${name} on ${host} must be the stub before it is run`);
}

test('every reboot path on every host is the stub, and boot_id is the host’s own', async () => {
  const machine = await machineBootId();
  for (const h of Object.values(fleet.hosts)) {
    assert.deepEqual(await h.verifyPowerCover(), []);
    for (const p of [
      '/sbin/reboot',
      '/usr/sbin/shutdown',
      '/bin/systemctl',
      '/usr/bin/halt',
      '/sbin/poweroff',
    ]) {
      const r = await h.exec(['sh', '-c', 'sha256sum < "$1"', 'sh', p]);
      assert.equal(r.stdout.split(' ')[0], STUB_SHA256, `${p} on ${h.name}`);
    }
    const inside = await h.exec(['cat', '/proc/sys/kernel/random/boot_id']);
    assert.equal(inside.stdout.trim(), await h.bootId());
    assert.notEqual(inside.stdout.trim(), machine);
    // Ordinary tools still work under the overlay.
    assert.equal((await h.exec(['sh', '-c', 'ls / > /dev/null && id -u'])).stdout.trim(), '0');
  }
});

test('`reboot` over ssh hits only the stub: the host gets a new boot_id and comes back, the machine does not reboot', async () => {
  const machine = await machineBootId();
  const host = fleet.hosts['www-1']!;
  await assertStub('www-1', 'reboot');
  const before = await host.bootId();
  const r = await sshRun(fleet, 'www-1', ['reboot'], { timeoutMs: 20_000 });
  assert.ok(r.exitCode === 0 || r.exitCode === 255, `ssh ended: ${r.exitCode} ${r.stderr}`);
  assert.ok((await host.powerCalls()).includes('reboot'), (await host.powerCalls()).join('\n'));
  await waitFor('a new boot_id on www-1', async () => (await host.bootId()) !== before, 15_000);
  const back = await waitFor(
    'www-1 to answer ssh again',
    async () => {
      const x = await sshRun(fleet, 'www-1', ['cat', '/proc/sys/kernel/random/boot_id'], {
        timeoutMs: 10_000,
      });
      return x.exitCode === 0 ? x.stdout.trim() : undefined;
    },
    20_000,
    300,
  );
  assert.equal(back, await host.bootId());
  assert.notEqual(back, before);
  assert.equal(await machineBootId(), machine);
});

test('systemctl reboot and shutdown -r by full path hit the stub too; poweroff leaves the host down', async () => {
  const host = fleet.hosts['spare']!;
  for (const argv of [
    ['/usr/bin/systemctl', 'reboot'],
    ['/sbin/shutdown', '-r', 'now'],
  ]) {
    await assertStub('spare', argv[0]!);
    const before = await host.bootId();
    await sshRun(fleet, 'spare', argv, { timeoutMs: 20_000 });
    await waitFor(
      `a new boot_id after ${argv.join(' ')}`,
      async () => (await host.bootId()) !== before,
      15_000,
    );
    await waitFor(
      'spare to be back',
      async () => (await sshRun(fleet, 'spare', ['true'])).exitCode === 0,
      20_000,
      300,
    );
  }
  const calls = await host.powerCalls();
  assert.ok(calls.includes('systemctl reboot') && calls.includes('shutdown -r now'), calls.join('\n'));

  await assertStub('spare', 'poweroff');
  const before = await host.bootId();
  await sshRun(fleet, 'spare', ['poweroff'], { timeoutMs: 20_000 });
  await waitFor('spare to be halted', async () => (await host.powerLog()).includes('down (halted)'), 15_000);
  const r = await sshRun(fleet, 'spare', ['true'], {
    sshOptions: ['-o', 'ConnectTimeout=2'],
    timeoutMs: 10_000,
  });
  assert.equal(r.exitCode, 255);
  assert.equal(await host.bootId(), before);
});

test('the verifier notices a reboot path that is not covered', async () => {
  // Last test: it leaves www-1 unsafe (and it is disposed right after).
  const host = fleet.hosts['www-1']!;
  const r = await host.exec(['umount', '-l', '/usr/bin']);
  assert.equal(r.exitCode, 0, r.stderr);
  const problems = await host.verifyPowerCover();
  assert.ok(
    problems.some((p) => p.startsWith('/usr/bin/reboot is not the stub')),
    problems.join('\n'),
  );
  assert.ok(
    problems.some((p) => p.startsWith('/usr/bin/systemctl is not the stub')),
    problems.join('\n'),
  );
});
