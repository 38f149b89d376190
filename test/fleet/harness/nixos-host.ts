// A NixOS-like fleet host (HostSpec `kind: 'nixos'`): systemd 252 booted as the PID 1 of a
// systemd-nspawn container in the host's netns. Its root is an overlay of this machine's `/` (upper layer:
// nixos-root.ts) mounted in a private mount namespace, so every mount dies with the container's wrapper;
// the host's folders are bound over /nix, /etc/nix, /root and the sshd folder. sshd and nix-daemon run as
// units, logins get logind sessions, `reboot` restarts only this container (see "Reboot safety" below).
import { readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import type { HostLayout } from './host.ts';
import { SSHD_DIR, writeNixosRoot } from './nixos-root.ts';
import { alive, daemon, HOST_ENV, must, run, waitFor, type RunResult } from './proc.ts';
import { connectionCount, listeningCount, readSshdLog } from './sshd-log.ts';

/**
 * Runs in a private mount namespace (unshare -m): a tmpfs over /run/systemd/nspawn (nspawn keeps its
 * propagation folders there; private, so this machine's /run is untouched), the overlay, then the
 * container, booted again each time it asks for a reboot (nspawn exits 133) unless told `never-return`.
 * Each boot gets a fresh /run (nspawn's tmpfs) and a new boot_id (nspawn binds a random one).
 */
const WRAPPER = String.raw`
d=$1; netns=$2; name=$3; shift 3
log() { echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) $*" >> "$d/power.log"; }
mkdir -p /run/systemd/nspawn && mount -t tmpfs -o mode=0755 nh-nspawn /run/systemd/nspawn || exit 90
mount -t overlay "nh-$name" -o "lowerdir=/,upperdir=$d/overlay/upper,workdir=$d/overlay/work" "$d/overlay/root" || exit 91
while :; do
  log boot
  systemd-nspawn -q -D "$d/overlay/root" -M "$name" --register=no --keep-unit --link-journal=no \
    --network-namespace-path="/run/netns/$netns" "$@" --boot < /dev/null > "$d/console.log" 2>&1
  rc=$?
  if [ "$rc" = 133 ]; then
    echo reboot >> "$d/calls"; log "reboot requested"
    if [ -e "$d/never-return" ]; then log "down (never returns)"; exit 0; fi
  else
    echo poweroff >> "$d/calls"; log "down (halted, nspawn exit $rc)"; exit 0
  fi
done
`;

export interface NixosHostOptions {
  nixSize?: string;
  killUserProcesses?: boolean;
  /** sshd reads keys only from /etc/ssh/authorized_keys.d/%u (NixOS authorizedKeysInHomedir = false). */
  etcAuthorizedKeys?: boolean;
  sshdConfig: string;
  clientPub: string;
  /** Login users besides root: the deployer's key, passwordless sudo (see addUser). */
  users?: string[];
}

/**
 * A login user as a NixOS hive declares one for deploys: in group wheel (created here; Debian has none)
 * with `security.sudo.wheelNeedsPassword = false`, the deployer's key in ~/.ssh/authorized_keys and in
 * /etc/ssh/authorized_keys.d/<user> (NixOS's users.users.<name>.openssh.authorizedKeys).
 */
const ADD_USER = String.raw`
set -e
user=$1; key=$2
getent group wheel > /dev/null || groupadd -r wheel
id "$user" > /dev/null 2>&1 || useradd -m -s /bin/sh -G wheel "$user"
echo '%wheel ALL=(ALL:ALL) NOPASSWD: ALL' > /etc/sudoers.d/nix-hive-wheel
chmod 0440 /etc/sudoers.d/nix-hive-wheel
mkdir -p "/home/$user/.ssh" /etc/ssh/authorized_keys.d
printf '%s
' "$key" > "/home/$user/.ssh/authorized_keys"
printf '%s
' "$key" > "/etc/ssh/authorized_keys.d/$user"
chown -R "$user:" "/home/$user/.ssh"; chmod 0700 "/home/$user/.ssh"; chmod 0444 "/etc/ssh/authorized_keys.d/$user"
`;

function ppidOf(pid: number): number {
  try {
    return Number(/^\d+ \(.*\) \S (\d+)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (/^\d+$/.test(e) && ppidOf(Number(e)) === pid) out.push(Number(e));
  }
  return out;
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

export class NixosHost {
  wrapperPid = 0;
  private lastBootId = '';
  constructor(
    readonly name: string,
    readonly netns: string,
    readonly layout: HostLayout,
    private readonly onPid: (pid: number) => void,
    private readonly detached = false,
  ) {}

  private get overlay(): string {
    return `${this.layout.dir}/overlay`;
  }

  /** Writes the root, starts the container and waits for it to be up with sshd listening. */
  async start(o: NixosHostOptions): Promise<void> {
    for (const d of ['upper', 'work', 'root']) await mkdir(`${this.overlay}/${d}`, { recursive: true });
    await mkdir(`${this.layout.nix}/var/nix/daemon-socket`, { recursive: true });
    await writeNixosRoot(`${this.overlay}/upper`, {
      name: this.name,
      killUserProcesses: o.killUserProcesses ?? false,
      sshdConfig: o.sshdConfig,
      etcAuthorizedKey: o.etcAuthorizedKeys ? o.clientPub : undefined,
    });
    const binds = [
      o.nixSize ? `--tmpfs=/nix:size=${o.nixSize},mode=0755` : `--bind=${this.layout.nix}:/nix`,
      `--bind=${this.layout.etcNix}:/etc/nix`,
      `--bind=${this.layout.root}:/root`,
      `--bind=${this.layout.sshdDir}:${SSHD_DIR}`,
    ];
    const wrapper = daemon(
      [
        ...(this.detached ? [] : ['setpriv', '--pdeathsig', 'KILL', '--']),
        'unshare',
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        WRAPPER,
        'nix-hive-nixos-host',
        this.layout.dir,
        this.netns,
        this.name,
        ...binds,
      ],
      HOST_ENV,
      this.detached,
    );
    this.wrapperPid = wrapper.pid!;
    this.onPid(this.wrapperPid);
    await this.waitUp(60_000);
    for (const user of o.users ?? []) {
      await this.nsenter(['sh', '-c', ADD_USER, 'nix-hive-add-user', user, o.clientPub], true);
    }
    const problems = await this.verifyPowerCover();
    if (problems.length) throw new Error(`fleet: refusing to start ${this.name}: ${problems.join('; ')}`);
  }

  /** The container's PID 1 (its leader) as this machine sees it, or 0 while it is down. */
  leaderPid(): number {
    if (!alive(this.wrapperPid)) return 0;
    for (const nspawn of childrenOf(this.wrapperPid)) {
      if (comm(nspawn) !== 'systemd-nspawn') continue;
      for (const c of childrenOf(nspawn)) if (comm(c) === 'systemd') return c;
    }
    return 0;
  }

  /** Waits until systemd has finished booting and sshd listens. */
  async waitUp(timeoutMs: number): Promise<void> {
    await waitFor(
      `${this.name} to boot`,
      async () => {
        if (!alive(this.wrapperPid)) {
          const log = await readFile(`${this.layout.dir}/console.log`, 'utf8').catch(() => '');
          throw new Error(
            `fleet: the container of ${this.name} exited:\n${log.split('\n').slice(-8).join('\n')}`,
          );
        }
        if (!this.leaderPid()) return false;
        const r = await this.nsenter(['systemctl', 'is-system-running']);
        const state = r.stdout.trim();
        // `degraded`: a unit failed (under load, a timeout); the host is up, and the test sees what failed.
        return (state === 'running' || state === 'degraded') && (await this.sshdActive());
      },
      timeoutMs,
      100,
    );
    this.lastBootId = await this.readBootId();
  }

  private async sshdActive(): Promise<boolean> {
    return (await this.nsenter(['systemctl', 'is-active', '--quiet', 'ssh.service'])).exitCode === 0;
  }

  /** Runs argv inside the container (its mount, UTS, IPC, net and pid namespaces), as root. */
  nsenter(argv: string[], checked = false, input?: string): Promise<RunResult> {
    const leader = this.leaderPid();
    if (!leader) {
      return Promise.resolve({ stdout: '', stderr: `fleet: ${this.name} is down`, exitCode: 255 });
    }
    const full = ['nsenter', '-t', String(leader), '-m', '-u', '-i', '-n', '-p', '--', ...argv];
    return checked ? must(full, { env: HOST_ENV, input }) : run(full, { env: HOST_ENV, input });
  }

  async startSshd(): Promise<void> {
    const before = await listeningCount(this.layout.sshdLog);
    await this.nsenter(['systemctl', 'start', 'ssh.service'], true);
    await waitFor(
      `sshd of ${this.name} to listen`,
      async () => (await listeningCount(this.layout.sshdLog)) > before,
    );
  }

  /** Stops ssh.service; Debian's unit has KillMode=process, so open sessions survive (as on NixOS). */
  async stopSshd(): Promise<void> {
    await this.nsenter(['systemctl', 'kill', '--kill-who=main', '--signal=CONT', 'ssh.service']);
    await this.nsenter(['systemctl', 'stop', 'ssh.service'], true);
  }

  async freezeSshd(): Promise<void> {
    await this.nsenter(['systemctl', 'kill', '--kill-who=main', '--signal=STOP', 'ssh.service'], true);
  }

  async thawSshd(): Promise<void> {
    await this.nsenter(['systemctl', 'kill', '--kill-who=main', '--signal=CONT', 'ssh.service'], true);
  }

  sshdLog(): Promise<string> {
    return readSshdLog(this.layout.sshdLog);
  }

  connections(fromAddress?: string): Promise<number> {
    return connectionCount(this.layout.sshdLog, fromAddress);
  }

  private async readBootId(): Promise<string> {
    const r = await this.nsenter(['cat', '/proc/sys/kernel/random/boot_id']);
    return r.exitCode === 0 ? r.stdout.trim() : '';
  }

  /** The container's boot_id (nspawn binds a new random one each boot); the last one seen while it is down. */
  async bootId(): Promise<string> {
    const id = await this.readBootId();
    if (id) this.lastBootId = id;
    return this.lastBootId;
  }

  /** Power actions that reached the container's wrapper: `reboot` (nspawn exit 133) or `poweroff`. */
  async powerCalls(): Promise<string[]> {
    return (await readFile(`${this.layout.dir}/calls`, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  }

  powerLog(): Promise<string> {
    return readFile(`${this.layout.dir}/power.log`, 'utf8').catch(() => '');
  }

  /** Read by the wrapper when the container asks for a reboot: synchronous, so it holds from now on. */
  setRebootBehaviour(b: 'return' | 'never-return'): void {
    if (b === 'never-return') writeFileSync(`${this.layout.dir}/never-return`, '');
    else rmSync(`${this.layout.dir}/never-return`, { force: true });
  }

  /**
   * Reboot safety of a container, checked from inside it (none = safe). A reboot(2) from a PID namespace
   * other than the initial one only ends that namespace's init (reboot(2), "Behavior inside PID
   * namespaces", Linux >= 3.4); nspawn mounts /proc/sys read-only and masks /proc/sysrq-trigger, and binds
   * a boot_id of its own. The host is refused unless each of these holds.
   */
  async verifyPowerCover(): Promise<string[]> {
    const leader = this.leaderPid();
    if (!leader) return [`${this.name} is not running`];
    const problems: string[] = [];
    if (readlinkSync(`/proc/${leader}/ns/pid`) === readlinkSync('/proc/self/ns/pid')) {
      problems.push("its PID 1 shares this machine's PID namespace (a reboot would reach the machine)");
    }
    const r = await this.nsenter([
      'sh',
      '-c',
      [
        'cat /proc/sys/kernel/random/boot_id',
        '[ -w /proc/sysrq-trigger ] && echo sysrq-writable',
        '[ -w /proc/sys/kernel ] && echo proc-sys-writable',
        'true',
      ].join('\n'),
    ]);
    const [inside = '', ...flags] = r.stdout.trim().split('\n');
    const machine = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    if (!inside || inside === machine) problems.push("/proc/sys/kernel/random/boot_id is this machine's");
    for (const f of flags)
      problems.push(`/proc/${f.startsWith('sysrq') ? 'sysrq-trigger' : 'sys'} is writable`);
    return problems;
  }

  /** Restarts nix-daemon after its nix.conf changed (it reads the file once, at start). */
  async reloadNixConf(): Promise<void> {
    if (this.leaderPid()) await this.nsenter(['systemctl', 'try-restart', 'nix-daemon.service']);
  }

  stopWatching(): void {}
}
