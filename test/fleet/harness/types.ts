// The fleet module's public types: what a test asks for (HostSpec, FleetOptions) and what it gets back
// (Fleet, FleetHost). Implemented by fleet.ts.

export interface HostSpec {
  name: string;
  network: 'public' | 'internal' | 'both';
  /**
   * Extra nix.conf lines (they come last, so they override the defaults). A function gets every host's
   * addresses and key first, e.g. `(h) => \`substituters = ssh://root@${h.portico!.internalAddress}\``.
   */
  nixConf?: string | ((hosts: Record<string, HostAddressBook>) => string);
  /** Mount a tmpfs of this size (e.g. '8m') as the host's /nix instead of its folder (disk-full tests). */
  nixSize?: string;
  /**
   * `nixos`: a NixOS-like host, systemd booted in a container with NixOS's unit environment, /run/keys,
   * /run/booted-system and multi-user Nix (nixos-host.ts). Default `plain`: namespaces and a bare sshd.
   */
  kind?: 'plain' | 'nixos';
  /** nixos hosts: logind's KillUserProcesses (NixOS services.logind.killUserProcesses; default false). */
  killUserProcesses?: boolean;
  /**
   * nixos hosts: false = sshd reads keys only from /etc/ssh/authorized_keys.d/%u (NixOS 24.11
   * services.openssh.authorizedKeysInHomedir = false); the deployer's key is put there. Default true.
   */
  authorizedKeysInHomedir?: boolean;
  /** nixos hosts: login users besides root, with the deployer's key and passwordless sudo (group wheel). */
  users?: string[];
  /** Extra sshd_config lines, before the defaults (sshd keeps a keyword's first value); no `Match`. */
  sshdExtra?: string;
}

/** What a host's nix.conf function may know about the others. */
export interface HostAddressBook {
  address: string;
  publicAddress?: string;
  internalAddress?: string;
  hostKey: string;
}

export interface FleetOptions {
  hosts: HostSpec[];
  /** Shape what the deployer sends into the fleet to this rate (tc tbf on the uplink). */
  shapeUplinkMbit?: number;
  /** Shape every host's NIC to this rate, both ways (tc tbf on each leg's veth ends). */
  shapeHostsMbit?: number;
  /** Parent of the run's folder (default /tmp). Must not be under /nix, /etc/nix, /run or /root. */
  baseDir?: string;
  /**
   * Keep the fleet up after this process exits (the demo): daemons in their own sessions, no exit hooks,
   * and `<dir>/leftovers.json` records what `disposeRecorded` must end later.
   */
  persist?: boolean;
}

export interface FleetHost {
  name: string;
  netns: string;
  network: HostSpec['network'];
  kind: 'plain' | 'nixos';
  publicAddress?: string;
  internalAddress?: string;
  /** The address others use: public if it has one, else internal. */
  address: string;
  /** `ssh-ed25519 AAAA…` (no comment). */
  hostKey: string;
  /** Per-host folder on the deployer: nix/, etc-nix/, run/, root/, sshd/. */
  dir: string;
  /** Runs argv inside the host's net+mount namespaces via nsenter (no ssh), with a clean root environment. */
  exec(
    argv: string[],
    opts?: { input?: string },
  ): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  stopSshd(): Promise<void>;
  startSshd(): Promise<void>;
  freezeSshd(): Promise<void>;
  thawSshd(): Promise<void>;
  sshdLog(): Promise<string>;
  /** Accepted TCP connections counted from its sshd log, optionally only those from one address. */
  connections(fromAddress?: string): Promise<number>;
  /** Bytes it sent (tx) and received (rx) over all its network legs. */
  nicBytes(): Promise<{ tx: number; rx: number }>;
  /** Rewrites its /etc/nix/nix.conf: the harness defaults followed by `extra` lines. */
  writeNixConf(extra?: string): Promise<void>;
  /** The host's own /proc/sys/kernel/random/boot_id (a per-host file; a simulated reboot renews it). */
  bootId(): Promise<string>;
  /** Every call of a power stub on the host (`reboot`, `systemctl reboot`, …), oldest first. */
  powerCalls(): Promise<string[]>;
  /** What the harness did on the host's power requests (reboot, halt, boot, up). */
  powerLog(): Promise<string>;
  /** What a simulated reboot does: come back (default) or never come back (sshd stays down). */
  setRebootBehaviour(b: 'return' | 'never-return'): void;
  /** Problems with the stubs over the host's reboot paths, checked from inside it (none = safe). */
  verifyPowerCover(): Promise<string[]>;
}

export interface Fleet {
  runId: string;
  dir: string;
  hosts: Record<string, FleetHost>;
  /** Private key the deployer uses (authorized on every host, also each host's /root/.ssh/id_ed25519). */
  clientKey: string;
  /** known_hosts pinning every host key at each of its addresses. */
  knownHosts: string;
  /** A ready ssh_config (see writeSshConfig) for the harness's own tests. */
  sshConfig: string;
  /** The root namespace's address on the public bridge. */
  deployerAddress: string;
  /** The deployer-side interface (root namespace end of the public bridge). */
  uplink: string;
  uplinkBytes(): Promise<{ tx: number; rx: number }>;
  /** Bytes hosts put on (tx) and took off (rx) the internal network, summed over every internal leg. */
  internalBytes(): Promise<{ tx: number; rx: number }>;
  /** Environment for the deployer's nix commands: local store, no substituters, no sandbox. */
  nixEnv(): Record<string, string>;
  writeInventoryJson(path: string): Promise<void>;
  dispose(): Promise<void>;
}
