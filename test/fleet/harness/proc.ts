// The harness's process helpers: run an argv to completion (never through a shell), start a long-lived
// daemon and keep its pid, and poll until something is true. Test infrastructure, so it sits beside lib/exec.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions {
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** A small, clean environment for commands run inside a host (no deployer NIX_* or pyenv leaks). */
export const HOST_ENV: Record<string, string> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  USER: 'root',
  LOGNAME: 'root',
  LANG: 'C.UTF-8',
};

/** Runs argv[0] with argv[1..] and resolves with its output and exit code; never rejects on a non-zero exit. */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [command, ...args] = argv;
  if (!command) throw new Error('run: empty argv');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? { ...process.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            stderr += `\n[harness] ${command} timed out after ${options.timeoutMs} ms\n`;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ stdout, stderr, exitCode: code ?? (signal ? 128 : 1) });
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

/** Like `run`, but throws with the command and its stderr when it exits non-zero. */
export async function must(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const r = await run(argv, options);
  if (r.exitCode !== 0) {
    throw new Error(`fleet: \`${argv.join(' ')}\` exited ${r.exitCode}: ${(r.stderr || r.stdout).trim()}`);
  }
  return r;
}

/** Starts a long-lived process with its output discarded; `detached` puts it in its own session (outlives us). */
export function daemon(
  argv: readonly string[],
  env: Record<string, string> = HOST_ENV,
  detached = false,
): ChildProcess {
  const [command, ...args] = argv;
  if (!command) throw new Error('daemon: empty argv');
  const child = spawn(command, args, { env, stdio: 'ignore', detached });
  child.on('error', () => {});
  child.unref();
  if (child.pid === undefined) throw new Error(`fleet: could not start ${command}`);
  return child;
}

/** Polls `check` every `everyMs` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`fleet: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** True while a process with this pid exists (zombies count as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // A zombie still answers kill(0); its state letter is Z.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}
