// Tearing a fleet down: end the recorded pids, then every process left in the run's namespaces and every
// ssh master whose socket lives in the run's folder, then delete only the run's netns, uplink and folder.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';

export interface Leftovers {
  /** pids the harness started (holders, sshd). */
  pids: Set<number>;
  /** netns names the run created (hosts and switch). */
  netns: string[];
  uplink: string;
  /** The internal subnet (an `unreachable` route for it may exist in the root namespace). */
  internalSubnet?: string;
  /** The public subnet (its `unreachable` claim is left if the run ended before its uplink took it). */
  publicSubnet?: string;
  /** The run's folder (deleted last). */
  dir: string;
  /** Keep the folder (the demo keeps nothing else, but a failed run may be inspected). */
  keepDir?: boolean;
}

function quiet(argv: string[]): string {
  try {
    return execFileSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' });
  } catch {
    return '';
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** pids of processes inside a netns (`ip netns pids`). */
export function netnsPids(netns: string): number[] {
  return quiet(['ip', 'netns', 'pids', netns])
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((p) => p !== process.pid);
}

/** Processes holding a unix socket bound under `dir` (ssh ControlMaster) or naming `dir` on their command line. */
export function processesUsing(dir: string): number[] {
  const inodes = new Set<string>();
  try {
    for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length >= 8 && f[7]!.startsWith(`${dir}/`)) inodes.add(f[6]!);
    }
  } catch {
    // no /proc/net/unix
  }
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => a.includes(`${dir}/`) || a === dir)) {
        found.push(pid);
        continue;
      }
      if (inodes.size === 0) continue;
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) {
          found.push(pid);
          break;
        }
      }
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function killAll(pids: number[]): void {
  for (const p of pids) kill(p, 'SIGCONT');
  for (const p of pids) kill(p, 'SIGKILL');
}

/** Recorded pids that are still ours: our child, or inside one of the run's netns (pids get reused). */
function stillOurs(l: Leftovers): number[] {
  const nets = new Set<string>();
  for (const ns of l.netns) {
    try {
      nets.add(`net:[${statSync(`/run/netns/${ns}`).ino}]`);
    } catch {
      // not created (yet) or already deleted
    }
  }
  return [...l.pids].filter((pid) => {
    try {
      const ppid = /^\d+ \(.*\) \S (\d+)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
      return Number(ppid) === process.pid || nets.has(readlinkSync(`/proc/${pid}/ns/net`));
    } catch {
      return false;
    }
  });
}

/** Synchronous so that it also works from a process 'exit' handler; safe to call more than once. */
export function disposeSync(l: Leftovers): void {
  killAll(stillOurs(l));
  // Sessions forked by sshd and commands entered with nsenter keep a netns alive: end them all.
  for (let round = 0; round < 5; round++) {
    const left = [...l.netns.flatMap(netnsPids), ...processesUsing(l.dir)];
    if (left.length === 0) break;
    killAll(left);
    sleepMs(50);
  }
  for (const ns of l.netns) {
    if (existsSync(`/run/netns/${ns}`)) quiet(['ip', 'netns', 'delete', ns]);
  }
  if (existsSync(`/sys/class/net/${l.uplink}`)) quiet(['ip', 'link', 'delete', l.uplink]);
  for (const subnet of [l.internalSubnet, l.publicSubnet]) {
    if (subnet && quiet(['ip', 'route', 'show', 'type', 'unreachable', subnet]).trim()) {
      quiet(['ip', 'route', 'delete', 'unreachable', subnet]);
    }
  }
  if (!l.keepDir && existsSync(l.dir)) {
    // Store paths are read-only: make everything writable before removing it.
    quiet(['chmod', '-R', 'u+w', l.dir]);
    rmSync(l.dir, { recursive: true, force: true });
  }
}
