// Runs a child process for the scale sections: wall time around it, peak RSS from `/usr/bin/time -f %M`
// when that is installed (`apt-get install time`), stdout discarded or captured.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export const GNU_TIME = '/usr/bin/time';
export const hasGnuTime = () => existsSync(GNU_TIME);

export interface ChildRun {
  exitCode: number;
  wallMs: number;
  /** Peak resident set size in KiB, when /usr/bin/time is there. */
  maxRssKiB: number | undefined;
  stdout: string;
  stdoutBytes: number;
  stderr: string;
}

export function runChild(
  argv: string[],
  options: { env?: Record<string, string | undefined>; keepStdout?: boolean; timeoutMs?: number } = {},
): Promise<ChildRun> {
  const timed = hasGnuTime();
  const full = timed ? [GNU_TIME, '-f', 'BENCH_MAXRSS %M', ...argv] : argv;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(full[0]!, full.slice(1), {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdoutBytes += c.length;
      if (options.keepStdout) out.push(c);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const wallMs = performance.now() - t0;
      const m = /BENCH_MAXRSS (\d+)\s*$/.exec(stderr);
      resolve({
        exitCode: code ?? 1,
        wallMs,
        maxRssKiB: m ? Number(m[1]) : undefined,
        stdout: Buffer.concat(out).toString(),
        stdoutBytes,
        stderr: m ? stderr.slice(0, m.index) : stderr,
      });
    });
  });
}
