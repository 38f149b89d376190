// CPU seconds while a deploy runs, and where they went. The total comes from a cgroup (v1 `cpuacct`) that the
// bench enters before it starts the fleet: every process of the deployer and of the fleet's hosts is in it,
// daemons (an ssh master after `-f`) included, and nothing else of the machine is. The split by command comes
// from the kernel's BSD process accounting (`accton`, Debian's `acct`): every process that exits meanwhile, in
// the hosts' PID namespaces too, with its user and system time, kept when it was seen in the cgroup (sampled
// every 200 ms) or descends from one that was. A deploy's CPU is a steadier figure than its wall time on a
// shared machine, and says where the per-host cost goes. The bench process's own CPU (it only spawns the
// push's commands, and waits) is counted in the total.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface CpuUse {
  /** User + system seconds of the bench's cgroup during the run. */
  totalS: number;
  /**
   * Of which system time (the kernel's work for the group, irq and softirq while its processes ran included:
   * that part is in no process's record, so the split by command sums to less than the total).
   */
  systemS: number;
  processes: number;
  /** Seconds and process count by command name (the kernel's 15 characters), most first. */
  byCommand: Array<{ command: string; seconds: number; count: number }>;
}

const CPUACCT = '/sys/fs/cgroup/cpuacct';

export interface CpuGroup {
  /** CPU seconds used so far by the group's processes. */
  seconds(): number;
  procs(): number[];
  /** cpuacct.stat: user and system clock ticks. */
  stat(): { user: number; system: number };
  /** Back to the root group; the group is removed once empty. */
  close(): void;
}

/** Moves this process into a cgroup of its own (its children follow); undefined where the machine can't. */
export function openCpuGroup(): CpuGroup | undefined {
  if (spawnSync('accton', ['--version']).status !== 0) return undefined;
  if (spawnSync('dump-acct', ['--help']).error !== undefined) return undefined;
  const dir = `${CPUACCT}/nix-hive-bench-${process.pid}`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/cgroup.procs`, String(process.pid));
  } catch {
    return undefined;
  }
  return {
    seconds: () => Number(readFileSync(`${dir}/cpuacct.usage`, 'utf8')) / 1e9,
    stat: () => {
      const t = readFileSync(`${dir}/cpuacct.stat`, 'utf8');
      return { user: Number(/user (\d+)/.exec(t)?.[1]), system: Number(/system (\d+)/.exec(t)?.[1]) };
    },
    procs: () => {
      try {
        return readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
      } catch {
        return [];
      }
    },
    close: () => {
      writeFileSync(`${CPUACCT}/cgroup.procs`, String(process.pid));
      try {
        rmdirSync(dir);
      } catch {
        process.stderr.write(`cpu-account: ${dir} is not empty; left\n`);
      }
    },
  };
}

/** Runs `fn` with process accounting into `file`; returns its result and the CPU used meanwhile. */
export async function accounted<T>(
  group: CpuGroup,
  file: string,
  fn: () => Promise<T>,
): Promise<{ value: T; cpu: CpuUse }> {
  await writeFile(file, '');
  const on = spawnSync('accton', [file], { encoding: 'utf8' });
  if (on.status !== 0) throw new Error(`accton ${file}: ${on.stderr.trim()}`);
  const ours = new Set<number>();
  const sample = () => group.procs().forEach((pid) => ours.add(pid));
  sample();
  const before = liveCpu(group.procs());
  const timer = setInterval(sample, 200);
  const s0 = group.seconds();
  const stat0 = group.stat();
  let value: T;
  let totalS: number;
  let systemS: number;
  try {
    value = await fn();
  } finally {
    totalS = group.seconds() - s0;
    const stat1 = group.stat();
    systemS = (stat1.system - stat0.system) / 100;
    clearInterval(timer);
    sample();
    spawnSync('accton', ['off']);
  }
  // Processes still running at the end have no record yet: what they used meanwhile, by name (`live:`).
  const live = new Map<string, { seconds: number; count: number }>();
  for (const [pid, now] of liveCpu(group.procs())) {
    const s = now.seconds - (before.get(pid)?.comm === now.comm ? before.get(pid)!.seconds : 0);
    if (s <= 0) continue;
    const c = live.get(`live:${now.comm}`) ?? { seconds: 0, count: 0 };
    c.seconds += s;
    c.count++;
    live.set(`live:${now.comm}`, c);
  }
  const dump = spawnSync('dump-acct', [file], { encoding: 'utf8', maxBuffer: 1 << 30 });
  // BENCH_ACCT_KEEP=DIR: keep the records there (`<name>.txt`, `<name>.ours`) for a closer look.
  const keep = process.env.BENCH_ACCT_KEEP;
  if (keep) {
    const base = path.join(keep, path.basename(file));
    await writeFile(`${base}.txt`, dump.stdout);
    await writeFile(`${base}.ours`, [...ours].join('\n'));
  }
  await rm(file, { force: true });
  const ended = byCommand(dump.stdout, ours);
  const all = [...ended.byCommand, ...[...live].map(([command, c]) => ({ command, ...c }))];
  all.sort((a, b) => b.seconds - a.seconds);
  return { value, cpu: { processes: ended.processes, byCommand: all, totalS, systemS } };
}

/** User + system seconds so far of each process in `pids`, with its name. */
function liveCpu(pids: number[]): Map<number, { comm: string; seconds: number }> {
  const out = new Map<number, { comm: string; seconds: number }>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const f = stat.slice(close + 2).split(' ');
      // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second here).
      out.set(pid, {
        comm: stat.slice(stat.indexOf('(') + 1, close),
        seconds: (Number(f[11]) + Number(f[12])) / 100,
      });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * `dump-acct` lines: command | version | user | system | elapsed | uid | gid | memory | io | pid | ppid | …
 * (times in clock ticks of 1/100 s); only the records of processes in `ours` or descending from one.
 */
export function byCommand(text: string, ours: Set<number>): Omit<CpuUse, 'totalS' | 'systemS'> {
  const records = text
    .split('\n')
    .map((line) => line.split('|').map((s) => s.trim()))
    .filter((f) => f.length >= 11);
  const parentOf = new Map(records.map((f) => [Number(f[9]), Number(f[10])]));
  const counts = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && hops < 64; p = parentOf.get(p), hops++)
      if (ours.has(p)) return true;
    return false;
  };
  const by = new Map<string, { seconds: number; count: number }>();
  let n = 0;
  for (const f of records) {
    if (!counts(Number(f[9]))) continue;
    const s = (Number(f[2]) + Number(f[3])) / 100;
    if (!Number.isFinite(s)) continue;
    const c = by.get(f[0]!) ?? { seconds: 0, count: 0 };
    c.seconds += s;
    c.count++;
    by.set(f[0]!, c);
    n++;
  }
  const list = [...by].map(([command, c]) => ({ command, ...c })).sort((a, b) => b.seconds - a.seconds);
  return { processes: n, byCommand: list };
}
