// A Host is one instance reached over the run's ssh session: a handful of verbs (run a command, check it is
// reachable, read its current system, open an interactive shell). It never prints; ssh failures become SshError.
import type { SpawnOptions, SpawnResult, Spawner } from '../exec/spawn.ts';
import type { ResolvedInstance } from '../inventory/types.ts';
import { quoteArgv } from '../ssh/quote.ts';
import { CommandError, SshError } from '../errors.ts';
import { SYSTEM_PROFILE } from '../nix/argv.ts';
import { sshFailure } from '../ssh/failure.ts';
import type { SshSession } from '../ssh/session.ts';

export interface HostRunOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Text for the remote command's stdin; without it stdin is /dev/null (never the terminal). */
  input?: string | Uint8Array;
  /** Run as root: through `sudo -n --` when the instance's user is not root. */
  root?: boolean;
  /** Keep the remote stdin open until the command ends (after `input`): see `run-wrapper.ts`. */
  holdStdin?: boolean;
}

export interface CurrentSystem {
  /** Store path behind /run/current-system, or null. */
  current: string | null;
  /** Store path behind /nix/var/nix/profiles/system, or null. */
  profile: string | null;
  /** The profile's `specialisation/<name>` that the current system is, when it is one. */
  specialisation?: string;
}

/**
 * One remote command: where each link (current system, profile) resolves to, one line each, empty when it is
 * missing; then the name of the profile's specialisation the current system is, if any.
 */
const CURRENT = [
  'for p in "$@"; do readlink -e "$p" || echo; done',
  'c=$(readlink -e "$1") || exit 0',
  'for s in "$2"/specialisation/*; do',
  '  if [ "$(readlink -e "$s" || true)" = "$c" ]; then echo "${s##*/}"; exit 0; fi',
  'done',
].join('\n');

export function currentSystemArgv(
  links: readonly string[] = ['/run/current-system', SYSTEM_PROFILE],
): string[] {
  return ['sh', '-c', CURRENT, 'sh', ...links];
}

/** Reads `currentSystemArgv`'s output: a store path per link, or null, and the specialisation if any. */
export function parseCurrentSystem(stdout: string): CurrentSystem {
  const [current, profile, specialisation] = stdout.split('\n').map((l) => l.trim() || null);
  return {
    current: current ?? null,
    profile: profile ?? null,
    ...(specialisation ? { specialisation } : {}),
  };
}

/** The argv as root: unchanged for root, else through non-interactive sudo. */
export function asRoot(user: string, argv: readonly string[]): string[] {
  return user === 'root' ? [...argv] : ['sudo', '-n', '--', ...argv];
}

export class Host {
  readonly name: string;
  readonly instance: ResolvedInstance;
  private readonly session: SshSession;
  private readonly spawn: Spawner;

  constructor(instance: ResolvedInstance, session: SshSession, spawn: Spawner = session.spawn) {
    this.name = instance.name;
    this.instance = instance;
    this.session = session;
    this.spawn = spawn;
  }

  /** The full ssh argv for a remote command (pure): the command quoted once, no tty. */
  sshArgv(argv: readonly string[], opts: { root?: boolean } = {}): string[] {
    const command = opts.root ? asRoot(this.instance.user, argv) : [...argv];
    return [...this.session.configArgs, '-T', '--', this.name, quoteArgv(command)];
  }

  /**
   * Runs an argv on the host. Resolves with the result whatever the remote exit code; throws SshError when
   * ssh itself failed (unreachable, host key mismatch, timeout…), and when the connection cannot be opened.
   */
  async run(argv: readonly string[], opts: HostRunOptions = {}): Promise<SpawnResult> {
    await this.session.connect(this.name, { signal: opts.signal });
    const spawnOpts: SpawnOptions = {
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      onLine: opts.onLine,
      ...(opts.holdStdin
        ? { holdStdin: true, input: opts.input }
        : opts.input !== undefined
          ? { input: opts.input }
          : { stdin: 'ignore' as const }),
    };
    const r = await this.spawn('ssh', this.sshArgv(argv, opts), spawnOpts);
    const failure = sshFailure(r, { instance: this.instance, connectTimeout: this.session.connectTimeout });
    if (failure) throw failure;
    // Through a master, a dropped connection (ServerAlive timeout, reboot) reaches the client only as exit 255
    // with no message: the master is gone, unlike after a remote command's own exit 255.
    if (r.exitCode === 255 && !r.timedOut && !r.signal && !(await this.session.alive(this.name))) {
      this.session.forget(this.name);
      throw new SshError('connection-lost', this.name, `connection to ${describe(this.instance)} was lost`, {
        result: r,
      });
    }
    return r;
  }

  /** Reachable and able to run a command: resolves `true`, or throws SshError. */
  async check(opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<true> {
    const r = await this.run(['true'], opts);
    if (r.exitCode !== 0) {
      throw new SshError('unreachable', this.name, `${this.name} cannot run commands (exit ${r.exitCode})`, {
        result: r,
      });
    }
    return true;
  }

  /** The store paths behind /run/current-system and the system profile (null when absent), in one command. */
  async currentSystem(opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<CurrentSystem> {
    const r = await this.run(currentSystemArgv(), opts);
    if (r.exitCode !== 0) throw new CommandError(r, `reading the current system of ${this.name}`);
    return parseCurrentSystem(r.stdout);
  }

  /**
   * Interactive: a login shell when `argv` is empty, else the command; the terminal is passed through and ssh's
   * exit code is returned. `tty` forces a terminal for a command (`ssh -t`).
   */
  async interactive(
    argv: readonly string[] = [],
    opts: { tty?: boolean; signal?: AbortSignal } = {},
  ): Promise<number> {
    const args = [...this.session.configArgs, ...(opts.tty ? ['-t'] : []), '--', this.name];
    if (argv.length > 0) args.push(quoteArgv(argv));
    const r = await this.spawn('ssh', args, { stdin: 'inherit', inheritOutput: true, signal: opts.signal });
    return r.exitCode;
  }
}

function describe(i: ResolvedInstance): string {
  return `${i.name} (${i.user}@${i.address}:${i.port}${i.via ? ` via ${i.via}` : ''})`;
}

/** One Host per instance of the session's hive. */
export function hostsOf(session: SshSession, spawn?: Spawner): Map<string, Host> {
  return new Map(
    Object.values(session.hive.instances).map((inst) => [inst.name, new Host(inst, session, spawn)]),
  );
}
