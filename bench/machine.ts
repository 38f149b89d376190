// The machine the figures come from: CPUs (`nproc`), the CPU model (/proc/cpuinfo), memory, kernel,
// and the versions of Nix, OpenSSH and Node.
import { readFile } from 'node:fs/promises';
import { run } from '../test/fleet/harness/proc.ts';

export interface Machine {
  cpus: number;
  model: string;
  memoryGiB: number;
  kernel: string;
  nix: string;
  ssh: string;
  node: string;
}

async function firstLine(argv: string[]): Promise<string> {
  const r = await run(argv).catch(() => ({ stdout: '', stderr: '', exitCode: 1 }));
  return (r.stdout.trim() || r.stderr.trim()).split('\n')[0] ?? '';
}

export async function describeMachine(): Promise<Machine> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const meminfo = await readFile('/proc/meminfo', 'utf8').catch(() => '');
  const memKiB = Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? 0);
  return {
    cpus: Number(await firstLine(['nproc'])) || 0,
    model: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? 'unknown CPU',
    memoryGiB: Math.round((memKiB / 1024 / 1024) * 10) / 10,
    kernel: await firstLine(['uname', '-r']),
    nix: await firstLine(['nix', '--version']),
    ssh: await firstLine(['ssh', '-V']),
    node: process.version,
  };
}

export function machineLine(m: Machine): string {
  return `${m.cpus} CPUs (\`nproc\`), ${m.model}, ${m.memoryGiB} GiB RAM; Linux ${m.kernel}; ${m.nix}; ${m.ssh}; Node ${m.node}`;
}
