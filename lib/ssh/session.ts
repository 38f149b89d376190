// One ssh session per run: the generated ssh_config and known_hosts in a private short temp folder, one
// ControlMaster per host (jump hosts first, so connections behind a jump share its one connection), all closed at the end
// (by signal: one process per host fewer than `ssh -O exit`).
import { mkdtemp, readdir, readFile, lstat, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedHive, ResolvedInstance } from '../inventory/types.ts';
import { spawnProcess, type Spawner } from '../exec/spawn.ts';
import { renderKnownHosts, renderSshConfig, SSH_DEFAULTS, type SshConfigOptions } from './config.ts';
import { HostError, inputError, SshError } from '../errors.ts';
import { sshFailure } from './failure.ts';
import { lastLine } from '../util/last-line.ts';
import { pollUntil } from '../util/poll.ts';

export interface SshSessionOptions extends Partial<
  Pick<
    SshConfigOptions,
    | 'connectTimeout'
    | 'serverAlive'
    | 'controlPersist'
    | 'userConfig'
    | 'userKnownHostsFile'
    | 'compressed'
    | 'buildHosts'
  >
> {
  /** Interactive use (`nix-hive ssh`): ssh may prompt (no BatchMode). */
  interactive?: boolean;
  spawn?: Spawner;
  /** Where the private folder is made; default the temp dir when its path is short, else /tmp. */
  baseDir?: string;
}

export interface SshSession {
  readonly hive: ResolvedHive;
  /** The private folder (mode 0700) holding ssh_config, known_hosts and the control sockets. */
  readonly dir: string;
  readonly configFile: string;
  readonly knownHostsFile: string;
  readonly connectTimeout: number;
  readonly spawn: Spawner;
  /** `['-F', configFile]`: put ssh options after these and before the destination. */
  readonly configArgs: string[];
  /** An instance of the hive, or a build host named by a URI; throws for other names. */
  instance(name: string): ResolvedInstance;
  /** `['-F', configFile, '--', instance]`: a remote command may follow. */
  sshArgs(instance: string): string[];
  /** For NIX_SSHOPTS, so `nix copy --to ssh://<instance>` goes through the generated config (and its masters). */
  readonly nixSshOpts: string;
  /** Opens the instance's ControlMaster (its `via` chain first) unless it is up. Throws SshError. Memoized, failures too. */
  connect(instance: string, opts?: { signal?: AbortSignal }): Promise<void>;
  /** Forgets that the instance is connected (its master died), so the next connect opens it again. */
  forget(instance: string): void;
  /** Whether the instance's ControlMaster is up (`ssh -O check`). */
  alive(instance: string): Promise<boolean>;
  /** Ends every ControlMaster and removes the folder. Idempotent. */
  close(): Promise<void>;
}

/** Unix socket paths are limited to about 104 bytes and NIX_SSHOPTS is split on whitespace. */
function baseFolder(): string {
  const t = tmpdir();
  return t.length <= 40 && !/\s/.test(t) ? t : '/tmp';
}

export async function openSshSession(hive: ResolvedHive, opts: SshSessionOptions = {}): Promise<SshSession> {
  const spawn = opts.spawn ?? spawnProcess;
  const dir = await mkdtemp(join(opts.baseDir ?? baseFolder(), 'nh-'));
  if (/\s/.test(dir) || dir.length > 60) {
    await rm(dir, { recursive: true, force: true });
    throw inputError('TMPDIR', `the ssh session folder ${JSON.stringify(dir)} is too long or has spaces`);
  }
  const configFile = join(dir, 'ssh_config');
  const knownHostsFile = join(dir, 'known_hosts');
  const connectTimeout = opts.connectTimeout ?? SSH_DEFAULTS.connectTimeout;
  try {
    const text = renderSshConfig(hive, {
      knownHostsFile,
      controlDir: dir,
      userConfig: opts.userConfig === undefined ? join(homedir(), '.ssh', 'config') : opts.userConfig,
      userKnownHostsFile: opts.userKnownHostsFile ?? join(homedir(), '.ssh', 'known_hosts'),
      connectTimeout,
      ...(opts.serverAlive ? { serverAlive: opts.serverAlive } : {}),
      ...(opts.controlPersist ? { controlPersist: opts.controlPersist } : {}),
      batchMode: !opts.interactive,
      ...(opts.compressed ? { compressed: opts.compressed } : {}),
      ...(opts.buildHosts ? { buildHosts: opts.buildHosts } : {}),
    });
    await writeFile(configFile, text, { mode: 0o600 });
    await writeFile(knownHostsFile, renderKnownHosts(hive), { mode: 0o600 });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }

  const configArgs = ['-F', configFile];
  const connecting = new Map<string, Promise<void>>();
  let closing: Promise<void> | undefined;

  const buildHosts = new Map((opts.buildHosts ?? []).map((b) => [b.name, b]));
  const instanceOf = (name: string): ResolvedInstance => {
    const inst = hive.instances[name] ?? buildHosts.get(name);
    if (!inst) throw inputError('instance', `unknown instance "${name}"`);
    return inst;
  };

  async function openMaster(name: string, signal: AbortSignal | undefined): Promise<void> {
    const inst = instanceOf(name);
    const stopped = () => {
      if (signal?.aborted)
        throw new SshError('connection-lost', name, `connecting to ${name} was stopped`, {});
    };
    if (inst.via !== undefined) {
      try {
        await connect(inst.via, { signal });
      } catch (e) {
        if (!(e instanceof SshError)) throw e;
        throw new SshError(e.kind, name, `cannot reach ${name} through ${inst.via}: ${e.message}`, {
          hint: e.hint,
          cause: e,
        });
      }
    }
    stopped();
    // A master this session opened before (ssh reopens one that died, ControlMaster auto).
    if (await masterUp(name, { signal })) return;
    // Never start a master once the run was stopped: it would outlive the session's close.
    stopped();
    const r = await spawn('ssh', [...configArgs, '-o', 'ControlMaster=yes', '-N', '-f', '--', name], {
      signal,
      // Interactive use may prompt (a passphrase, a password) on the terminal.
      terminal: Boolean(opts.interactive),
      // ConnectTimeout covers the TCP connect and the banner; this bounds a stall during authentication.
      timeoutMs: (connectTimeout * 3 + 10) * 1000,
    });
    if (r.exitCode === 0 && !r.timedOut && !r.signal) return;
    if (r.timedOut) throw new SshError('timeout', name, `connecting to ${name} took too long`, { result: r });
    if (r.signal)
      throw new SshError('connection-lost', name, `connecting to ${name} was stopped`, { result: r });
    throw (
      sshFailure(r, { instance: inst, connectTimeout }) ??
      new SshError('unreachable', name, `ssh to ${name} failed: ${lastLine(r.stderr)}`, { result: r })
    );
  }

  /**
   * Whether `name`'s ControlMaster is up (`ssh -O check`), asked only when its socket exists: the first
   * connection to a host costs one ssh process, not two.
   */
  async function masterUp(name: string, o: { signal?: AbortSignal; timeoutMs?: number }): Promise<boolean> {
    const inst = instanceOf(name);
    const socket = await lstat(join(dir, inst.name)).then(
      (st) => st.isSocket(),
      () => false,
    );
    return socket && (await spawn('ssh', [...configArgs, '-O', 'check', '--', inst.name], o)).exitCode === 0;
  }

  function connect(name: string, o: { signal?: AbortSignal } = {}): Promise<void> {
    if (closing) return Promise.reject(new HostError(`the ssh session is closed: cannot connect to ${name}`));
    let p = connecting.get(name);
    if (!p) {
      p = openMaster(name, o.signal);
      connecting.set(name, p);
      // A failure is remembered for the session, so 500 hosts behind a dead jump fail at once instead of
      // each waiting out ConnectTimeout. A master that dies later is reopened by ssh itself (ControlMaster auto).
      p.catch(() => {});
    }
    return p;
  }

  async function closeAll(): Promise<void> {
    // A master still being opened (its step was stopped) must end, or daemonize and show its socket, first.
    // Bounded: an opening that was given no stop signal ends by its own timeout at the latest.
    await Promise.race([
      Promise.allSettled(connecting.values()),
      new Promise((r) => setTimeout(r, 15_000).unref()),
    ]);
    // Every master (and anything else of this session still running) is told to end with SIGTERM, as
    // `ssh -O exit` would (ssh removes its socket and closes the connection), without one process per host.
    await stopSessionSsh(dir);
    await rm(dir, { recursive: true, force: true });
  }

  return {
    hive,
    dir,
    configFile,
    knownHostsFile,
    connectTimeout,
    spawn,
    configArgs,
    instance: instanceOf,
    sshArgs: (instance) => [...configArgs, '--', instanceOf(instance).name],
    nixSshOpts: configArgs.join(' '),
    connect,
    forget: (instance) => void connecting.delete(instance),
    alive: (instance) => masterUp(instance, { timeoutMs: 10_000 }),
    close: () => (closing ??= closeAll()),
  };
}

/**
 * How `close()` ends the session's ssh processes: every ssh process whose argv names this session's private
 * folder (its masters, and any client a stopped step left) gets SIGTERM, and is waited for (5 s at most, then
 * SIGKILL). Only such processes are touched; where /proc does not exist (not Linux) nothing is done.
 */
async function stopSessionSsh(dir: string): Promise<void> {
  const mine = await sessionSsh(dir);
  for (const pid of mine) signal(pid, 'SIGTERM');
  const allGone = await pollUntil(
    async () => ((await Promise.all(mine.map(running))).some(Boolean) ? undefined : true),
    { interval: 20, timeout: 5_000 },
  );
  if (!allGone) for (const pid of mine) if (await running(pid)) signal(pid, 'SIGKILL');
}

async function sessionSsh(dir: string): Promise<number[]> {
  const pids = await readdir('/proc').catch(() => [] as string[]);
  const mine: number[] = [];
  for (const p of pids) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    const argv = await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
    const words = argv.split('\0');
    if (words[0] && /(^|\/)ssh$/.test(words[0]) && words.some((w) => w.startsWith(`${dir}/`)))
      mine.push(Number(p));
  }
  return mine;
}

/** Whether `pid` still runs (a zombie, which no longer does, awaits only its parent's wait). */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
