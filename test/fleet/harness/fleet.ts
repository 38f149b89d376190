// The real test fleet: N hosts as root, each a netns + private mount namespace running a real sshd and
// its own Nix store, on a public bridge the deployer reaches and an internal one only jump hosts reach.
import { copyFile, mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { existsSync, mkdirSync } from 'node:fs';
import { disposeSync, type Leftovers } from './dispose.ts';
import { hostKnownHostsConfig } from './host-config.ts';
import { hostNixConf, knownHosts, nixosSshdConfig, sshdConfig } from './host-files.ts';
import { HostProcesses, hostLayout } from './host.ts';
import { NixosHost } from './nixos-host.ts';
import { SSHD_DIR } from './nixos-root.ts';
import { writeFleetJson } from './inventory-json.ts';
import { endWithProcess, forget, recordLeftovers } from './lifecycle.ts';
import type { Fleet, FleetHost, FleetOptions, HostAddressBook } from './types.ts';
import { generateKey } from './keys.ts';
import { waitFor } from './proc.ts';
import { mapLimit } from '../../../lib/util/map-limit.ts';
import { hostNetns, MAX_HOSTS, newRunNames, type RunNames } from './names.ts';
import * as net from './net.ts';
import { writeSshConfig } from './ssh-config.ts';

export { writeSshConfig, sshConfigText, type SshConfigOptions } from './ssh-config.ts';
export { fleetJson, STUB_NIXPKGS, type FleetJson } from './inventory-json.ts';
export { disposeRecorded } from './lifecycle.ts';

export type { Fleet, FleetHost, FleetOptions, HostAddressBook, HostSpec } from './types.ts';

/** Throws unless running as root; fleet tests must fail loudly, never skip. */
export function requireRoot(): void {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return;
  throw new Error(
    'fleet tests need root (they create network namespaces, bridges and mount namespaces and run sshd); ' +
      'run them as root, e.g. `sudo npm run test:fleet` or `.ci/run` on a CI machine',
  );
}

const HIDDEN = ['/nix', '/etc/nix', '/run', '/root'];
/** Hosts started at once. */
const HOST_START_PARALLEL = 16;
const HOST_NAME = /^[a-z0-9][a-z0-9-]{0,30}$/;

function checkOptions(options: FleetOptions, base: string): void {
  if (options.hosts.length === 0) throw new Error('fleet: no hosts');
  if (options.hosts.length > MAX_HOSTS) throw new Error(`fleet: at most ${MAX_HOSTS} hosts`);
  const seen = new Set<string>();
  for (const h of options.hosts) {
    if (!HOST_NAME.test(h.name)) throw new Error(`fleet: bad host name ${JSON.stringify(h.name)}`);
    if (seen.has(h.name)) throw new Error(`fleet: duplicate host ${h.name}`);
    seen.add(h.name);
  }
  for (const hidden of HIDDEN) {
    if (base === hidden || base.startsWith(`${hidden}/`)) {
      throw new Error(`fleet: baseDir ${base} is under ${hidden}, which each host mounts over`);
    }
  }
}

/**
 * The kind of a host whose spec names none: `NIX_HIVE_FLEET_KIND=nixos` runs a test file's fleet on
 * NixOS-like hosts (the *.nixos.test.ts files set it before importing the plain test's cases).
 */
export function defaultHostKind(): 'plain' | 'nixos' {
  const v = process.env.NIX_HIVE_FLEET_KIND;
  if (v === undefined || v === '' || v === 'plain') return 'plain';
  if (v === 'nixos') return 'nixos';
  throw new Error(`fleet: NIX_HIVE_FLEET_KIND must be plain or nixos, not ${JSON.stringify(v)}`);
}

export async function startFleet(given: FleetOptions): Promise<Fleet> {
  requireRoot();
  const kind = defaultHostKind();
  const options = { ...given, hosts: given.hosts.map((h) => ({ ...h, kind: h.kind ?? kind })) };
  const base = (options.baseDir ?? '/tmp').replace(/\/+$/, '') || '/';
  checkOptions(options, base);
  const names = await newRunNames();
  const dir = `${base}/nh-${names.runId}`;
  const leftovers: Leftovers = {
    pids: new Set(),
    netns: [...options.hosts.map((h) => hostNetns(names.runId, h.name)), names.switchNetns],
    uplink: names.uplink,
    internalSubnet: `${names.internalPrefix}.0/24`,
    publicSubnet: `${names.publicPrefix}.0/24`,
    dir,
  };
  const record = (): void => {
    if (options.persist) recordLeftovers(leftovers);
  };
  if (!options.persist) endWithProcess(leftovers);
  let disposed: Promise<void> | undefined;
  const watchers: Array<{ stopWatching(): void }> = [];
  const dispose = (): Promise<void> =>
    (disposed ??= Promise.resolve().then(async () => {
      for (const w of watchers) w.stopWatching();
      disposeSync(leftovers);
      forget(leftovers);
      // Our own children linger as zombies until the event loop reaps them: wait for that.
      await waitFor('the fleet processes to be reaped', () =>
        [...leftovers.pids].every((pid) => !existsSync(`/proc/${pid}`)),
      ).catch(() => {});
    }));
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    record();
    return await build(options, names, dir, leftovers, record, dispose, watchers);
  } catch (err) {
    await dispose();
    throw err;
  }
}

async function build(
  options: FleetOptions,
  names: RunNames,
  dir: string,
  leftovers: Leftovers,
  record: () => void,
  dispose: () => Promise<void>,
  watchers: Array<{ stopWatching(): void }>,
): Promise<Fleet> {
  // Mount points for the per-host folders must exist on the shared root filesystem.
  for (const p of ['/nix', '/etc/nix']) if (!existsSync(p)) mkdirSync(p, { recursive: true, mode: 0o755 });
  const clientKey = `${dir}/client_ed25519`;
  const clientPub = await generateKey(clientKey, `nix-hive-fleet-${names.runId}`);
  await net.createSwitch(names);

  const prepared = [];
  for (const [index, spec] of options.hosts.entries()) {
    const netns = hostNetns(names.runId, spec.name);
    const layout = hostLayout(`${dir}/hosts/${spec.name}`);
    for (const d of [
      layout.nix,
      layout.etcNix,
      `${layout.run}/sshd`,
      `${layout.root}/.ssh`,
      layout.sshdDir,
    ]) {
      await mkdir(d, { recursive: true, mode: 0o755 });
    }
    await chmod(layout.root, 0o700);
    await chmod(`${layout.root}/.ssh`, 0o700);
    const hostKey = await generateKey(layout.hostKey, spec.name);
    await writeFile(
      layout.sshdConfig,
      spec.kind === 'nixos'
        ? nixosSshdConfig(SSHD_DIR, spec.authorizedKeysInHomedir === false)
        : sshdConfig(layout.hostKey, spec.sshdExtra),
    );
    await writeFile(`${layout.root}/.ssh/authorized_keys`, `${clientPub}\n`, { mode: 0o600 });
    await copyFile(clientKey, `${layout.root}/.ssh/id_ed25519`);
    await chmod(`${layout.root}/.ssh/id_ed25519`, 0o600);
    const addresses = await net.createHostNet(names, netns, index, spec.network);
    if (options.shapeHostsMbit)
      await net.shapeHost(names, netns, index, spec.network, options.shapeHostsMbit);
    prepared.push({ spec, netns, layout, hostKey, addresses });
  }
  if (options.shapeUplinkMbit) await net.shapeUplink(names, options.shapeUplinkMbit);
  if (prepared.some((p) => p.spec.network === 'internal')) {
    const jump = prepared.find((p) => p.spec.network === 'both');
    await net.routeInternal(names, jump?.addresses.publicAddress);
  }
  const book: Record<string, HostAddressBook> = {};
  for (const p of prepared) {
    book[p.spec.name] = {
      ...p.addresses,
      address: p.addresses.publicAddress ?? p.addresses.internalAddress!,
      hostKey: p.hostKey,
    };
  }
  for (const p of prepared) {
    const extra = typeof p.spec.nixConf === 'function' ? p.spec.nixConf(book) : p.spec.nixConf;
    await writeFile(`${p.layout.etcNix}/nix.conf`, hostNixConf(extra));
  }

  const known = knownHosts(
    prepared.map((p) => ({
      name: p.spec.name,
      hostKey: p.hostKey,
      addresses: [p.addresses.publicAddress, p.addresses.internalAddress].filter((a): a is string => !!a),
    })),
  );
  const knownHostsPath = `${dir}/known_hosts`;
  await writeFile(knownHostsPath, known);
  for (const p of prepared) {
    await writeFile(`${p.layout.root}/.ssh/known_hosts`, known);
    await writeFile(`${p.layout.root}/.ssh/config`, hostKnownHostsConfig());
  }

  const hosts: Record<string, FleetHost> = {};
  const onPid = (pid: number): void => {
    leftovers.pids.add(pid);
    record();
  };
  // Bounded: each start polls its sshd until it listens, and 121 at once (the per-host bench) starved the
  // machine until an sshd missed its 10 s.
  await mapLimit(prepared, HOST_START_PARALLEL, async (p) => {
    const address = p.addresses.publicAddress ?? p.addresses.internalAddress!;
    const common = {
      name: p.spec.name,
      netns: p.netns,
      network: p.spec.network,
      ...p.addresses,
      address,
      hostKey: p.hostKey,
      dir: p.layout.dir,
      nicBytes: () => net.hostBytes(p.netns),
    };
    if (p.spec.kind === 'nixos') {
      const h = new NixosHost(p.spec.name, p.netns, p.layout, onPid, options.persist);
      watchers.push(h);
      const etcKeys = p.spec.authorizedKeysInHomedir === false;
      await h.start({
        nixSize: p.spec.nixSize,
        killUserProcesses: p.spec.killUserProcesses,
        etcAuthorizedKeys: etcKeys,
        sshdConfig: await readFile(p.layout.sshdConfig, 'utf8'),
        clientPub,
        users: p.spec.users,
      });
      hosts[p.spec.name] = {
        ...common,
        kind: 'nixos',
        exec: (argv, opts) => h.nsenter(argv, false, opts?.input),
        stopSshd: () => h.stopSshd(),
        startSshd: () => h.startSshd(),
        freezeSshd: () => h.freezeSshd(),
        thawSshd: () => h.thawSshd(),
        sshdLog: () => h.sshdLog(),
        connections: (from) => h.connections(from),
        writeNixConf: async (extra) => {
          await writeFile(`${p.layout.etcNix}/nix.conf`, hostNixConf(extra));
          await h.reloadNixConf();
        },
        bootId: () => h.bootId(),
        powerCalls: () => h.powerCalls(),
        powerLog: () => h.powerLog(),
        setRebootBehaviour: (b) => h.setRebootBehaviour(b),
        verifyPowerCover: () => h.verifyPowerCover(),
      };
      return;
    }
    const procs = new HostProcesses(p.spec.name, p.netns, p.layout, onPid, options.persist);
    watchers.push(procs);
    await procs.startHolder(p.spec.nixSize);
    await procs.startSshd();
    procs.watchPower();
    hosts[p.spec.name] = {
      ...common,
      kind: 'plain',
      exec: (argv, opts) => procs.nsenter(argv, false, opts?.input),
      stopSshd: () => procs.stopSshd(),
      startSshd: () => procs.startSshd(),
      freezeSshd: async () => procs.freezeSshd(),
      thawSshd: async () => procs.thawSshd(),
      sshdLog: () => procs.sshdLog(),
      connections: (from) => procs.connections(from),
      writeNixConf: (extra) => writeFile(`${p.layout.etcNix}/nix.conf`, hostNixConf(extra)),
      bootId: async () => (await readFile(`${p.layout.dir}/boot_id`, 'utf8')).trim(),
      powerCalls: async () =>
        (await readFile(`${p.layout.run}/nh-harness/calls`, 'utf8').catch(() => ''))
          .split('\n')
          .filter(Boolean),
      powerLog: () => readFile(`${p.layout.dir}/power.log`, 'utf8').catch(() => ''),
      setRebootBehaviour: (b) => {
        procs.rebootBehaviour = b;
      },
      verifyPowerCover: () => procs.verifyPowerCover(),
    };
  });
  // Keep the caller's host order.
  const ordered: Record<string, FleetHost> = {};
  for (const h of options.hosts) ordered[h.name] = hosts[h.name]!;

  const fleet: Fleet = {
    runId: names.runId,
    dir,
    hosts: ordered,
    clientKey,
    knownHosts: knownHostsPath,
    sshConfig: `${dir}/ssh_config`,
    deployerAddress: names.deployerAddress,
    uplink: names.uplink,
    uplinkBytes: () => net.uplinkBytes(names),
    internalBytes: () => net.internalBytes(names),
    nixEnv: () => ({
      // Not Debian's /etc/nix/nix.conf: without nix-setup-systemd it is absent (sandbox on, nixbld).
      NIX_CONFIG: 'substituters =\nsandbox = false\nbuild-users-group =\nconnect-timeout = 5\n',
      NIX_REMOTE: 'local',
    }),
    writeInventoryJson: (path) => writeFleetJson(fleet, path),
    dispose,
  };
  await writeSshConfig({ hosts: ordered, clientKey, knownHosts: knownHostsPath }, fleet.sshConfig);
  return fleet;
}

export { buildStubSystem, deployerEnv, nixRun, sshRun } from './nix-tools.ts';
