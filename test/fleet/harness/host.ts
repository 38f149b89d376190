// One fleet host: a holder process in the host's netns and its own mount and UTS namespaces (per-host folders
// bind-mounted over /nix, /etc/nix, /run and /root; stubs over every reboot path, see power-stubs.ts), a
// real sshd started inside it, and exec via nsenter.
import { realpathSync, existsSync, statSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import { simulatePower, takeRequest, type RebootBehaviour } from './power-sim.ts';
import {
  checkVerifyOutput,
  mountScript,
  POWER_DIRS,
  preparePowerCover,
  verifyScript,
  type PowerCover,
} from './power-stubs.ts';
import { alive, daemon, HOST_ENV, must, run, waitFor, type RunResult } from './proc.ts';
import { connectionCount, listeningCount, readSshdLog } from './sshd-log.ts';

export interface HostLayout {
  /** Per-host folder on the deployer. */
  dir: string;
  nix: string;
  etcNix: string;
  run: string;
  root: string;
  sshdDir: string;
  sshdConfig: string;
  sshdLog: string;
  hostKey: string;
}

export function hostLayout(dir: string): HostLayout {
  return {
    dir,
    nix: `${dir}/nix`,
    etcNix: `${dir}/etc-nix`,
    run: `${dir}/run`,
    root: `${dir}/root`,
    sshdDir: `${dir}/sshd`,
    sshdConfig: `${dir}/sshd/sshd_config`,
    sshdLog: `${dir}/sshd/sshd.log`,
    hostKey: `${dir}/sshd/ssh_host_ed25519_key`,
  };
}

/** Where each per-host folder is mounted inside the host. */
const MOUNTS: Array<[keyof HostLayout, string]> = [
  ['nix', '/nix'],
  ['etcNix', '/etc/nix'],
  ['run', '/run'],
  ['root', '/root'],
];

/** The processes of one host the harness started; `onPid` records them for dispose. */
export class HostProcesses {
  holderPid = 0;
  sshdPid = 0;
  /** What a simulated reboot does: come back (default) or stay down. */
  rebootBehaviour: RebootBehaviour = 'return';
  private cover: PowerCover | undefined;
  private watch: NodeJS.Timeout | undefined;
  private powering: Promise<void> = Promise.resolve();
  constructor(
    readonly name: string,
    readonly netns: string,
    readonly layout: HostLayout,
    private readonly onPid: (pid: number) => void,
    private readonly detached = false,
  ) {}

  /**
   * Unless the fleet must outlive us (the demo), the daemons get SIGKILL when this process dies, even by
   * SIGKILL (PR_SET_PDEATHSIG survives exec), so a crashed run leaves only empty namespaces to sweep.
   */
  private dieWithUs(): string[] {
    return this.detached ? [] : ['setpriv', '--pdeathsig', 'KILL', '--'];
  }

  /** Starts the holder (`sleep infinity` in the netns and private mount + UTS namespaces) and mounts the folders. */
  async startHolder(nixSize: string | undefined): Promise<void> {
    const holder = daemon(
      [
        ...this.dieWithUs(),
        'nsenter',
        `--net=/run/netns/${this.netns}`,
        'unshare',
        '-m',
        '-u',
        '--propagation',
        'private',
        'sleep',
        'infinity',
      ],
      HOST_ENV,
      this.detached,
    );
    const pid = holder.pid!;
    this.onPid(pid);
    this.holderPid = pid;
    const ownMnt = await readlink('/proc/self/ns/mnt');
    const ownUts = await readlink('/proc/self/ns/uts');
    await waitFor(`the holder of ${this.name} to enter its namespaces`, async () => {
      if (!alive(pid)) throw new Error(`fleet: the holder process of ${this.name} exited`);
      const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
      const mnt = await readlink(`/proc/${pid}/ns/mnt`).catch(() => ownMnt);
      const uts = await readlink(`/proc/${pid}/ns/uts`).catch(() => ownUts);
      // Never mount or set a hostname before the holder is in namespaces of its own.
      return comm === 'sleep' && mnt !== ownMnt && uts !== ownUts;
    });
    await this.nsenter(['hostname', this.name], true);
    for (const [key, target] of MOUNTS) {
      if (key === 'nix' && nixSize) {
        await this.nsenter(
          ['mount', '-t', 'tmpfs', '-o', `size=${nixSize},mode=0755`, 'tmpfs', target],
          true,
        );
      } else {
        await this.nsenter(['mount', '--bind', this.layout[key], target], true);
      }
    }
    await this.coverPowerPaths();
  }

  /**
   * Stubs over every reboot path and per-host kernel files, then verifies each from inside the host:
   * a host whose cover is not complete is never started (this machine's kernel is the hosts' kernel).
   */
  private async coverPowerPaths(): Promise<void> {
    const cover = await preparePowerCover(this.layout.dir);
    const realDirs = [...new Set(POWER_DIRS.filter((d) => existsSync(d)).map((d) => realpathSync(d)))];
    const mounted = await this.nsenter(['sh', '-c', mountScript(realDirs, cover)]);
    if (mounted.exitCode !== 0) {
      throw new Error(
        `fleet: refusing to start ${this.name}: covering its reboot paths failed: ${mounted.stderr.trim()}`,
      );
    }
    const problems = await this.verifyPowerCover(cover);
    if (problems.length) {
      throw new Error(`fleet: refusing to start ${this.name}: ${problems.join('; ')}`);
    }
    this.cover = cover;
  }

  /** Problems with the host's reboot cover, checked from inside its mount namespace (none = safe). */
  async verifyPowerCover(cover = this.cover): Promise<string[]> {
    if (!cover) return ['no reboot cover prepared'];
    const st = statSync(cover.sysrq);
    const r = await this.nsenter(['sh', '-c', verifyScript()]);
    const bootId = (await readFile(cover.bootId, 'utf8')).trim();
    const present = new Set(POWER_DIRS.filter((d) => existsSync(d)));
    return checkVerifyOutput(r.stdout, { bootId, sysrqDevIno: `${st.dev}:${st.ino}` }, present);
  }

  /** Acts on the stubs' reboot/halt requests (polled; one at a time). */
  watchPower(): void {
    if (this.watch) return;
    this.watch = setInterval(() => {
      this.powering = this.powering
        .then(async () => {
          const action = await takeRequest(this.powerHost());
          if (action) await simulatePower(this.powerHost(), action);
        })
        .catch(() => {});
    }, 100);
    this.watch.unref();
  }

  stopWatching(): void {
    if (this.watch) clearInterval(this.watch);
    this.watch = undefined;
  }

  private powerHost() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      name: this.name,
      holderPid: this.holderPid,
      runDir: this.layout.run,
      bootIdFile: `${this.layout.dir}/boot_id`,
      powerLog: `${this.layout.dir}/power.log`,
      get rebootBehaviour() {
        return self.rebootBehaviour;
      },
      nsenter: (argv: string[]) => this.nsenter(argv),
      forgetSshd: () => {
        this.sshdPid = 0;
      },
      startSshd: () => this.startSshd(),
    };
  }

  /** Runs argv inside the host's mount and net namespaces. */
  nsenter(argv: string[], checked = false, input?: string): Promise<RunResult> {
    const full = ['nsenter', '-t', String(this.holderPid), '-m', '-u', '-n', '--', ...argv];
    return checked ? must(full, { env: HOST_ENV, input }) : run(full, { env: HOST_ENV, input });
  }

  async startSshd(): Promise<void> {
    if (this.sshdPid && alive(this.sshdPid)) return;
    const before = await listeningCount(this.layout.sshdLog);
    const sshd = daemon(
      [
        ...this.dieWithUs(),
        'nsenter',
        '-t',
        String(this.holderPid),
        '-m',
        '-u',
        '-n',
        '--',
        '/usr/sbin/sshd',
        '-D',
        '-f',
        this.layout.sshdConfig,
        '-E',
        this.layout.sshdLog,
      ],
      HOST_ENV,
      this.detached,
    );
    const pid = sshd.pid!;
    this.onPid(pid);
    this.sshdPid = pid;
    await waitFor(`sshd of ${this.name} to listen`, async () => {
      if (!alive(pid)) {
        const log = await readSshdLog(this.layout.sshdLog);
        throw new Error(`fleet: sshd of ${this.name} exited:\n${log.split('\n').slice(-5).join('\n')}`);
      }
      return (await listeningCount(this.layout.sshdLog)) > before;
    });
  }

  async stopSshd(): Promise<void> {
    const pid = this.sshdPid;
    if (!pid || !alive(pid)) return;
    process.kill(pid, 'SIGCONT');
    process.kill(pid, 'SIGTERM');
    await waitFor(`sshd of ${this.name} to stop`, () => !alive(pid), 5000).catch(() => {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    });
    this.sshdPid = 0;
  }

  freezeSshd(): void {
    if (this.sshdPid) process.kill(this.sshdPid, 'SIGSTOP');
  }

  thawSshd(): void {
    if (this.sshdPid) process.kill(this.sshdPid, 'SIGCONT');
  }

  sshdLog(): Promise<string> {
    return readSshdLog(this.layout.sshdLog);
  }

  /** Accepted TCP connections in the sshd log (`Connection from <addr> port …`), optionally from one address. */
  connections(fromAddress?: string): Promise<number> {
    return connectionCount(this.layout.sshdLog, fromAddress);
  }
}
