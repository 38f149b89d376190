// A deployer on a machine of its own, as far as one 2-CPU machine can show it: the per-host section runs the
// deployer (the bench process and all it starts: nix-hive, the push's `nix copy` and ssh, their ssh masters)
// and the fleet (every process of the hosts, and all they start) in two cgroup v1 `cpu` groups, the deployer's
// with `weight` times the fleet's CPU shares (`--deployer-weight`; 1, the default, leaves it out). Both
// variants alike. Without it the deployer waits its turn among hundreds of host processes (on 1 + 120 hosts
// with the relay tree running: a switch's end heard 20 to 40 s late, so confirmations missed their 30 s
// window, issue 23); a real deployer does not run its hosts' work. With it the deployer's copies pre-empt the
// hosts' activations instead, which no real fleet does either: one 2-CPU machine cannot give both sides
// CPUs of their own. The total CPU of a deploy is counted apart (cpu-account.ts, the `cpuacct` hierarchy).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';

const CPU = '/sys/fs/cgroup/cpu';

export interface DeployerPriority {
  /** The two groups' shares (deployer, fleet). */
  shares: { deployer: number; fleet: number };
  /** Moves `pids` (the fleet's processes, started before) into the fleet's group; their children follow. */
  fleet(pids: readonly number[]): void;
  /** Back to the root group; the groups are removed once empty (after the fleet is gone). */
  close(): void;
}

/** Puts this process in the deployer's group; undefined where the machine has no cgroup v1 `cpu`. */
export function openDeployerPriority(weight: number): DeployerPriority | undefined {
  if (!existsSync(`${CPU}/cgroup.procs`)) return undefined;
  const top = `${CPU}/nix-hive-bench-${process.pid}`;
  const shares = { deployer: 1024 * weight, fleet: 1024 };
  try {
    for (const g of ['deployer', 'fleet'] as const) {
      mkdirSync(`${top}/${g}`, { recursive: true });
      writeFileSync(`${top}/${g}/cpu.shares`, String(shares[g]));
    }
    writeFileSync(`${top}/deployer/cgroup.procs`, String(process.pid));
  } catch {
    return undefined;
  }
  return {
    shares,
    fleet: (pids) => {
      for (const pid of pids) {
        if (pid === process.pid) continue;
        try {
          writeFileSync(`${top}/fleet/cgroup.procs`, String(pid));
        } catch {
          // ended meanwhile
        }
      }
    },
    close: () => {
      writeFileSync(`${CPU}/cgroup.procs`, String(process.pid));
      for (const g of ['deployer', 'fleet', '']) {
        try {
          // A process of the bench left in a group (a daemon that outlived its fleet) is moved out first.
          const left = readFileSync(`${top}/${g}/cgroup.procs`, 'utf8').split('\n').filter(Boolean);
          for (const pid of left) writeFileSync(`${CPU}/cgroup.procs`, pid);
          rmdirSync(`${top}/${g}`);
        } catch {
          process.stderr.write(`cpu-priority: ${top}/${g} could not be removed; left\n`);
        }
      }
    },
  };
}
