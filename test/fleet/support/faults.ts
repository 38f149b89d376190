// Helpers of the fault tests (test/fleet/faults-*.test.ts): a hive of stub systems written as JSON for
// any fleet, the real CLI started in the background with its JSON events read as they come, the sshd
// processes of one host (to freeze a whole host, sessions included), and ssh processes a run left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { netnsPids } from '../harness/dispose.ts';
import { STUB_NIXPKGS, type Fleet, type FleetHost } from '../harness/fleet.ts';
import { BIN, type CliRun } from './seed-fleet.ts';

export interface StubInstance {
  system: string;
  /** Fleet host it runs on (address and pinned key come from it). */
  host: string;
  via?: string;
  store?: string;
  ssh?: Record<string, string | number>;
  hostKeys?: string[];
  tags?: string[];
}

/**
 * Writes `<dir>/hive.config.json` with one module file per system (`modules` maps system name to the
 * module's Nix text) and returns `dir`. Instances behind a `via` use the host's internal address.
 */
export async function writeStubHive(
  fleet: Fleet,
  dir: string,
  spec: {
    modules: Record<string, string>;
    instances: Record<string, StubInstance>;
    signingKey?: string;
  },
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const systems: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(spec.modules)) {
    await writeFile(path.join(dir, `${name}.nix`), text);
    systems[name] = { modules: [`./${name}.nix`] };
  }
  const instances: Record<string, unknown> = {};
  for (const [name, i] of Object.entries(spec.instances)) {
    const h = fleet.hosts[i.host]!;
    instances[name] = {
      system: i.system,
      address: i.via ? h.internalAddress : h.address,
      hostKeys: i.hostKeys ?? [h.hostKey],
      ...(i.via ? { via: i.via } : {}),
      ...(i.store ? { store: i.store } : {}),
      ...(i.ssh ? { ssh: i.ssh } : {}),
      ...(i.tags ? { tags: i.tags } : {}),
    };
  }
  const config = {
    paths: { nixpkgs: STUB_NIXPKGS },
    ...(spec.signingKey ? { signingKey: spec.signingKey } : {}),
    defaults: { user: 'root', ssh: { IdentityFile: fleet.clientKey, IdentitiesOnly: 'yes' } },
    systems,
    instances,
  };
  await writeFile(path.join(dir, 'hive.config.json'), JSON.stringify(config, null, 2) + '\n');
  return dir;
}

/** A stub system module: an optional payload (closure size) and the stub's activation knobs. */
export function stubModule(
  o: { payload?: string; seed?: string; delay?: number; fails?: boolean; extra?: string } = {},
): string {
  const lines = ['{ ... }:', '{', '  system.stateVersion = "24.11";'];
  if (o.payload) lines.push(`  hive.payloadSize = "${o.payload}";`);
  if (o.seed) lines.push(`  hive.payloadSeed = "${o.seed}";`);
  if (o.delay) lines.push(`  hive.activationDelay = ${o.delay};`);
  if (o.fails) lines.push('  hive.activationFails = true;');
  if (o.extra) lines.push(o.extra);
  lines.push('}', '');
  return lines.join('\n');
}

export interface LiveCli {
  child: ChildProcess;
  events: Array<Record<string, any>>;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first event matching (rejects after `timeoutMs`). */
  waitForEvent(match: (e: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  /** Resolves when stderr matches. */
  waitForStderr(re: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<CliRun & { signal: NodeJS.Signals | null }>;
}

/** Starts the real bin in the background (its own process group is not made: signals go to it alone). */
export function startCli(args: string[], env: Record<string, string>): LiveCli {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let rest = '';
  const events: Array<Record<string, any>> = [];
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((l) => l());
  child.stdout!.on('data', (c: Buffer) => {
    out += c;
    rest += c;
    let i: number;
    while ((i = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, i);
      rest = rest.slice(i + 1);
      if (line.startsWith('{')) events.push(JSON.parse(line));
    }
    changed();
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c;
    changed();
  });
  const done = new Promise<CliRun & { signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      changed();
      resolve({ exitCode: code ?? -1, signal, stdout: out, stderr: err, events } as CliRun & {
        signal: NodeJS.Signals | null;
      });
    }),
  );
  const waitUntil = (what: string, ok: () => unknown, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (ok()) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        } else if (child.exitCode !== null || child.signalCode !== null) {
          listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`the CLI ended before ${what}:\n${err}\n${out.slice(-3000)}`));
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out waiting for ${what}:\n${err}\n${out.slice(-3000)}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  return {
    child,
    events,
    stdout: () => out,
    stderr: () => err,
    waitForEvent: async (match, timeoutMs = 120_000) => {
      await waitUntil('an event', () => events.some(match), timeoutMs);
      return events.find(match)!;
    },
    waitForStderr: (re, timeoutMs = 120_000) => waitUntil(String(re), () => re.test(err), timeoutMs),
    done,
  };
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Every sshd process of a host: the listener and each per-connection one. */
export function sshdPids(host: FleetHost): number[] {
  return netnsPids(host.netns).filter((pid) => comm(pid) === 'sshd');
}

/** SIGSTOP every sshd of the host (its connections stall: TCP still acks, nothing answers); returns a thaw. */
export function freezeHost(host: FleetHost): () => void {
  const pids = sshdPids(host);
  for (const pid of pids) process.kill(pid, 'SIGSTOP');
  return () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // ended meanwhile
      }
    }
  };
}

/** Children (recursively) of a process, from /proc. */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(e), ppid);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent) {
      if (pp === p) {
        out.push(c);
        walk(c);
      }
    }
  };
  walk(pid);
  return out;
}

/**
 * ssh processes whose command line names a private session folder (`/tmp/nh-XXXXXX/`), except those of
 * the folders in `exclude` (a fleet's own folder has the same shape).
 */
export function sessionSshProcesses(exclude: string[] = []): Array<{ pid: number; cmd: string }> {
  const found: Array<{ pid: number; cmd: string }> = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (!/(^|\/)ssh$/.test(argv[0] ?? '')) continue;
      const inSession = argv.some(
        (a) => /^\/tmp\/nh-[A-Za-z0-9]{6}\//.test(a) && !exclude.some((d) => a.startsWith(`${d}/`)),
      );
      if (inSession) found.push({ pid: Number(e), cmd: argv.join(' ') });
    } catch {
      // gone
    }
  }
  return found;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The report's outcome per instance. */
export function outcomes(report: Record<string, any>): Record<string, string> {
  return Object.fromEntries(report.instances.map((i: any) => [i.instance, i.outcome]));
}

export function instanceOf(report: Record<string, any>, name: string): Record<string, any> {
  const i = report.instances.find((x: any) => x.instance === name);
  if (!i) throw new Error(`no ${name} in the report`);
  return i;
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

/** The per-connection sshd processes of a host (children of its listener), not the listener itself. */
export function sshdSessionPids(host: FleetHost): number[] {
  const all = sshdPids(host);
  return all.filter((pid) => all.includes(parentOf(pid)));
}

/** The environment the real CLI runs with against `fleet`: its nix settings and a private HOME. */
export function cliEnv(fleet: Fleet, home = path.join(fleet.dir, 'home')): Record<string, string> {
  return { ...(process.env as Record<string, string>), ...fleet.nixEnv(), HOME: home };
}

/**
 * The processes listening for a wake-up on the host (nix/detached-job.ts): each FIFO `<id>.wake.<pid>` in
 * /run/nix-hive with the command line of its pid (`nix-hive-wait …` for the deployer's wait).
 */
export async function wakeListeners(host: FleetHost): Promise<string[]> {
  const r = await host.exec([
    'sh',
    '-c',
    'for f in /run/nix-hive/*.wake.*; do [ -p "$f" ] || continue; p=${f##*.}; ' +
      'echo "${f##*/} $(tr "\\000" " " < "/proc/$p/cmdline" 2> /dev/null)"; done',
  ]);
  return r.stdout.split('\n').filter((l) => l !== '');
}

/** Waits (bounded) until `holds` is true of the host's listeners; returns them. */
export async function wakeListenersUntil(
  host: FleetHost,
  holds: (l: string[]) => boolean,
  what: string,
): Promise<string[]> {
  for (let i = 0; i < 300; i++) {
    const l = await wakeListeners(host);
    if (holds(l)) return l;
    await sleep(100);
  }
  throw new Error(`${host.name}: ${what}: ${(await wakeListeners(host)).join('; ')}`);
}
