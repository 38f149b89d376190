// Issue 19: switch-to-configuration's contract and what a deploy makes of it. First the stub's
// switch-to-configuration is checked against switch-to-configuration-ng's rules (nixpkgs
// pkgs/by-name/sw/switch-to-configuration-ng/src/src/main.rs), run by hand on a host; then the deploy's
// outcomes: failed units (exit 4) are `degraded` and kept unless --rollback-on-degraded, exit 100 is
// `needs-reboot` and kept, a held lock is `busy` with nothing switched or rolled back, and a path that
// is not a NixOS system never becomes the profile.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildStubSystem, nixRun, type Fleet, type FleetHost } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { cli, reportOf, systemLinks } from './support/seed-fleet.ts';
import { instanceOf, outcomes, sleep, writeStubHive } from './support/faults.ts';
import { readState } from '../../lib/state/store.ts';

const NIX = ['--extra-experimental-features', 'nix-command'];

let fleet: Fleet;
let env: Record<string, string>;

useFleet({ a: 'public', b: 'public' }, (u) => ({ fleet, env } = u));

const stderrLines = (s: string) => s.split('\n').filter((l) => l !== '');

async function waitFor(what: string, ok: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await ok()) return;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the stub switch-to-configuration keeps switch-to-configuration-ng`s contract', () => {
  test('unit lines from the unit difference, dry-activate on stderr, exit 4, exit 100, the lock', async () => {
    const a: FleetHost = fleet.hosts.a!;
    const base = await buildStubSystem(fleet, {
      networking: { hostName: 'sc-units' },
      systemd: { services: { web: {}, db: { stopIfChanged: false }, cache: { reloadIfChanged: true } } },
    });
    const next = await buildStubSystem(fleet, {
      networking: { hostName: 'sc-units' },
      systemd: {
        services: {
          db: { stopIfChanged: false, script: 'echo v2' },
          cache: { reloadIfChanged: true, script: 'echo v2' },
          api: {},
        },
      },
      hive: { failingUnits: ['api.service'] },
    });
    const other = await buildStubSystem(fleet, {
      networking: { hostName: 'sc-units' },
      hive: { initInterfaceVersion: 'systemd-next' },
    });
    const held = await buildStubSystem(fleet, {
      networking: { hostName: 'sc-held' },
      hive: { holdSwitch: true },
    });
    for (const p of [base, next, other, held]) {
      const c = await nixRun(fleet, ['nix', ...NIX, 'copy', '--to', 'ssh://root@a', p]);
      assert.equal(c.exitCode, 0, c.stderr);
    }
    const current = async () => (await a.exec(['readlink', '/run/current-system'])).stdout.trim();

    const first = await a.exec([`${base}/bin/switch-to-configuration`, 'test']);
    assert.equal(first.exitCode, 0, first.stderr);
    assert.ok(
      stderrLines(first.stderr).includes(
        'starting the following units: cache.service, db.service, web.service',
      ),
      first.stderr,
    );

    // dry-activate: everything on stderr (main.rs uses eprintln!), nothing on stdout, nothing changed.
    const dry = await a.exec([`${next}/bin/switch-to-configuration`, 'dry-activate']);
    assert.equal(dry.exitCode, 0, dry.stderr);
    assert.equal(dry.stdout, '');
    assert.deepEqual(stderrLines(dry.stderr), [
      'would stop the following units: web.service',
      'would activate the configuration...',
      'would reload the following units: cache.service',
      'would restart the following units: db.service',
      'would start the following units: api.service',
    ]);
    assert.equal(await current(), base);

    // A unit that fails: the new system is active, the warning names it, exit 4; the boot loader is asked
    // to reinstall when NIXOS_INSTALL_BOOTLOADER=1.
    const sw = await a.exec([
      'env',
      'NIXOS_INSTALL_BOOTLOADER=1',
      `${next}/bin/switch-to-configuration`,
      'switch',
    ]);
    assert.equal(sw.exitCode, 4, sw.stderr);
    const lines = stderrLines(sw.stderr);
    const order = [
      'stopping the following units: web.service',
      'activating the configuration...',
      'reloading the following units: cache.service',
      'restarting the following units: db.service',
      'starting the following units: api.service',
      'warning: the following units failed: api.service',
    ];
    assert.deepEqual(
      lines.filter((l) => order.includes(l)),
      order,
      sw.stderr,
    );
    assert.equal(await current(), next);
    const boot = (await a.exec(['cat', '/run/hive-bootloader.log'])).stdout.trim().split('\n').at(-1)!;
    assert.match(boot, new RegExp(` install=1 ${next}$`));

    // An init that is not compatible: the boot loader is installed, the running system stays, exit 100.
    const r100 = await a.exec([`${other}/bin/switch-to-configuration`, 'switch']);
    assert.equal(r100.exitCode, 100, r100.stderr);
    assert.match(r100.stderr, /won't take effect until you reboot the system/);
    assert.equal(await current(), next);
    assert.equal((await a.exec(['readlink', '/run/hive-boot-system'])).stdout.trim(), other);

    // The lock: a switch held (hive.holdSwitch) keeps it; a second one fails at once with main.rs's message.
    await a.exec(['touch', '/run/hive-hold-switch']);
    await a.exec([
      'sh',
      '-c',
      'setsid -f sh -c "$1 test > /run/held.out 2>&1; echo \\$? > /run/held.status" < /dev/null > /dev/null 2>&1',
      'held',
      `${held}/bin/switch-to-configuration`,
    ]);
    await waitFor('the held switch', async () =>
      (await a.exec(['cat', '/run/hive-activation.log'])).stdout.includes(` test ${held}`),
    );
    await sleep(500); // it logs before it takes the lock
    const busy = await a.exec([`${next}/bin/switch-to-configuration`, 'dry-activate']);
    const stillHeld = (await a.exec(['test', '-e', '/run/held.status'])).exitCode !== 0;
    await a.exec(['rm', '-f', '/run/hive-hold-switch']);
    assert.equal(busy.exitCode, 11, busy.stderr);
    assert.equal(busy.stderr, 'Could not acquire lock\n');
    assert.ok(stillHeld, 'the second switch returned while the first still held the lock');
    await waitFor(
      'the held switch to end',
      async () => (await a.exec(['test', '-e', '/run/held.status'])).exitCode === 0,
    );
    assert.equal((await a.exec(['cat', '/run/held.status'])).stdout.trim(), '0');
    assert.equal(await current(), held);
  });
});

describe('deploy: what each switch-to-configuration outcome means', () => {
  const dirs = new Map<string, string>();
  const modules = {
    good: '{ ... }: { networking.hostName = "sc-b"; systemd.services.web = { }; }\n',
    bad:
      '{ ... }: { networking.hostName = "sc-b"; systemd.services.web = { }; systemd.services.api = { };\n' +
      '  hive.failingUnits = [ "api.service" ]; }\n',
    reboot: '{ ... }: { networking.hostName = "sc-b"; hive.initInterfaceVersion = "systemd-next"; }\n',
    bare: '{ ... }: { networking.hostName = "sc-b"; hive.notNixos = true; }\n',
  };
  /** One hive per system for b (the same instance, a different system each time). */
  const hiveFor = async (system: keyof typeof modules) => {
    let dir = dirs.get(system);
    if (!dir) {
      dir = await writeStubHive(fleet, path.join(fleet.dir, `deploy-${system}`), {
        modules: { [system]: modules[system] },
        instances: { b: { system, host: 'b' } },
      });
      dirs.set(system, dir);
    }
    return dir;
  };
  const deploy = async (system: keyof typeof modules, ...flags: string[]) => {
    const dir = await hiveFor(system);
    const r = await cli(['deploy', '-c', dir, '--json', '--confirm-timeout', '20', ...flags], env, 240_000);
    return { r, report: reportOf(r), dir };
  };
  const activationLog = async () =>
    (await fleet.hosts.b!.exec(['cat', '/run/hive-activation.log'])).stdout.trim().split('\n');
  /** Deploys the good system (b's starting point in each case) and returns its path. */
  const deployGood = async () => {
    const good = await deploy('good');
    assert.equal(good.r.exitCode, 0, good.r.stderr);
    return good.report.systems.good.outPath as string;
  };

  test('exit 4: degraded with the failed units named, kept; --rollback-on-degraded rolls it back', async () => {
    const goodPath = await deployGood();

    const bad = await deploy('bad');
    assert.equal(bad.r.exitCode, 1, bad.r.stderr);
    const b = instanceOf(bad.report, 'b');
    assert.equal(b.outcome, 'degraded');
    assert.match(
      b.reason,
      /^switch-to-configuration switch exited with code 4: the following units failed: api\.service$/,
    );
    assert.deepEqual(b.failedUnits, ['api.service']);
    const badPath = bad.report.systems.bad.outPath as string;
    assert.deepEqual(await systemLinks(fleet, 'b'), { current: badPath, profile: badPath }, 'kept');
    const state = await readState(path.join(bad.dir, 'hive.state'));
    assert.equal(state?.instances.b?.outcome, 'degraded');

    assert.equal((await deploy('good')).r.exitCode, 0);
    const again = await deploy('bad', '--rollback-on-degraded');
    assert.equal(again.r.exitCode, 1, again.r.stderr);
    assert.deepEqual(outcomes(again.report), { b: 'rolled-back' });
    assert.match(
      instanceOf(again.report, 'b').reason,
      /the following units failed: api\.service; rolled back to /,
    );
    assert.deepEqual(await systemLinks(fleet, 'b'), { current: goodPath, profile: goodPath });
  });

  test('exit 100: needs-reboot, not a failure, nothing rolled back; a bare path never becomes the profile', async () => {
    const goodPath = await deployGood();

    const reboot = await deploy('reboot');
    assert.equal(reboot.r.exitCode, 0, reboot.r.stderr);
    const b = instanceOf(reboot.report, 'b');
    assert.equal(b.outcome, 'needs-reboot');
    assert.equal(b.needsReboot, true);
    const rebootPath = reboot.report.systems.reboot.outPath as string;
    assert.deepEqual(await systemLinks(fleet, 'b'), { current: goodPath, profile: rebootPath });
    assert.match(reboot.r.stdout + reboot.r.stderr, /needs? (a )?reboot/);
    await sleep(1000);
    assert.match((await activationLog()).at(-1)!, new RegExp(` switch ${rebootPath}$`), 'no rollback ran');

    const bare = await deploy('bare');
    assert.equal(bare.r.exitCode, 1, bare.r.stderr);
    assert.equal(instanceOf(bare.report, 'b').outcome, 'failed');
    assert.match(instanceOf(bare.report, 'b').reason, /is not a NixOS system \(it lacks nixos-version/);
    assert.deepEqual(
      await systemLinks(fleet, 'b'),
      { current: goodPath, profile: rebootPath },
      'nothing changed',
    );
  });

  test('a held switch lock: busy at once, the profile set back, the old system`s switch never run', async () => {
    await deployGood();
    const before = await systemLinks(fleet, 'b');
    const b = fleet.hosts.b!;
    await b.exec([
      'sh',
      '-c',
      'mkdir -p /run/nixos; setsid -f sh -c "echo \\$\\$ > /run/holder.pid; exec flock /run/nixos/switch-to-configuration.lock sleep 300" < /dev/null > /dev/null 2>&1',
    ]);
    await waitFor(
      'the lock holder',
      async () => (await b.exec(['test', '-s', '/run/holder.pid'])).exitCode === 0,
    );
    await sleep(300);
    try {
      const logBefore = (await activationLog()).length;
      const busy = await deploy('bad');
      assert.equal(busy.r.exitCode, 1, busy.r.stderr);
      const i = instanceOf(busy.report, 'b');
      assert.equal(i.outcome, 'busy');
      assert.match(i.reason, /another switch holds \/run\/nixos\/switch-to-configuration\.lock/);
      assert.deepEqual(await systemLinks(fleet, 'b'), before, 'current system and profile as before');
      await sleep(1500);
      const log = (await activationLog()).slice(logBefore);
      assert.equal(log.length, 1, `only the new system's switch was called:\n${log.join('\n')}`);
      assert.match(log[0]!, / switch \/nix\/store\/\S+-nixos-system-sc-b-/);
      const logText = await readFile(path.join(busy.report.logDir, 'b.log'), 'utf8');
      assert.doesNotMatch(logText, /rolling b back/);
    } finally {
      await b.exec(['sh', '-c', 'kill -- "-$(cat /run/holder.pid)"; rm -f /run/holder.pid']);
    }
  });
});

describe('needs reboot: the booted system against the profile (nixpkgs auto-upgrade.nix), kernel-params too', () => {
  test('a pending boot goal and a change of kernel parameters are both seen', async () => {
    const a = fleet.hosts.a!;
    const modules = {
      k1: '{ ... }: { networking.hostName = "sc-a"; }\n',
      k2: '{ ... }: { networking.hostName = "sc-a"; hive.kernel = "6.7.0"; }\n',
      k3: '{ ... }: { networking.hostName = "sc-a"; boot.kernelParams = [ "quiet" ]; }\n',
    };
    const dirOf = (system: keyof typeof modules) =>
      writeStubHive(fleet, path.join(fleet.dir, `reboot-${system}`), {
        modules: { [system]: modules[system] },
        instances: { a: { system, host: 'a' } },
      });
    const first = await cli(['deploy', '-c', await dirOf('k1'), '--json'], env, 240_000);
    assert.equal(first.exitCode, 0, first.stderr);
    // The host booted into k1 (NixOS links /run/booted-system at boot).
    await a.exec(['sh', '-c', 'ln -sfn "$(readlink -f /run/current-system)" /run/booted-system']);

    const k2 = await dirOf('k2');
    const boot = await cli(['deploy', '-c', k2, '--json', '--goal', 'boot'], env, 240_000);
    assert.equal(boot.exitCode, 0, boot.stderr);
    assert.equal(instanceOf(reportOf(boot), 'a').needsReboot, true, 'a pending boot with a new kernel');
    const st = await cli(['status', '-c', k2, 'a'], env, 60_000);
    assert.match(st.stdout, /needs reboot \(kernel, initrd, kernel-modules changed\)/, st.stdout);

    const k3 = await cli(['deploy', '-c', await dirOf('k3'), '--json'], env, 240_000);
    assert.equal(k3.exitCode, 0, k3.stderr);
    const report = reportOf(k3);
    assert.equal(instanceOf(report, 'a').needsReboot, true, 'new kernel parameters need a reboot');
    const log = await readFile(path.join(report.logDir, 'a.log'), 'utf8');
    assert.match(log, /a needs a reboot \(kernel-params changed\)/);
  });
});

describe('specialisations', () => {
  test('--specialisation activates specialisation/<name>; status counts it in sync; a deploy without a change keeps it', async () => {
    const a = fleet.hosts.a!;
    const dir = await writeStubHive(fleet, path.join(fleet.dir, 'spec'), {
      modules: {
        spec:
          '{ ... }: { networking.hostName = "sc-spec"; systemd.services.web = { };\n' +
          '  specialisation.blue.configuration = { systemd.services.blue = { }; }; }\n',
      },
      instances: { a: { system: 'spec', host: 'a' } },
    });
    const r = await cli(['deploy', '-c', dir, '--json', '--specialisation', 'blue'], env, 240_000);
    assert.equal(r.exitCode, 0, r.stderr);
    const toplevel = reportOf(r).systems.spec.outPath as string;
    const blue = (await a.exec(['readlink', '-f', `${toplevel}/specialisation/blue`])).stdout.trim();
    assert.match(blue, /^\/nix\/store\//);
    assert.notEqual(blue, toplevel);
    assert.deepEqual(await systemLinks(fleet, 'a'), { current: blue, profile: toplevel });

    const st = await cli(['status', '-c', dir, 'a'], env, 60_000);
    assert.equal(st.exitCode, 0, st.stdout + st.stderr);
    assert.match(st.stdout, /a\s+spec\s+in-sync\s+.*running specialisation blue \(/);

    const again = await cli(['deploy', '-c', dir, '--json'], env, 240_000);
    assert.equal(again.exitCode, 0, again.stderr);
    assert.deepEqual(
      await systemLinks(fleet, 'a'),
      { current: blue, profile: toplevel },
      'not switched back',
    );
    const log = await readFile(path.join(reportOf(again).logDir, 'a.log'), 'utf8');
    assert.match(log, /keeping specialisation blue of \/nix\/store\/\S+, which the host runs/);

    const bad = await cli(['deploy', '-c', dir, '--specialisation', 'blue', '--goal', 'boot'], env, 60_000);
    assert.equal(bad.exitCode, 2, bad.stderr);
    assert.match(bad.stderr, /--specialisation/);
  });
});
