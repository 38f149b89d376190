// The CLI three ways for tests: its main() in this process (cwd, environment and output swapped in for the call,
// then restored: fast, no start-up), the real bin as a child process, and many commands through the compiled
// CLI in one child process (to prove the bundle agrees with the sources on every case at the cost of one start).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../../lib/cli/main.ts';

export const BIN = fileURLToPath(new URL('../../bin/nix-hive.mjs', import.meta.url));
const BATCH = fileURLToPath(new URL('./cli-batch.mjs', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment changes for one run: a value sets the variable, `undefined` removes it. */
export type EnvEdit = Record<string, string | undefined>;

function edited(base: NodeJS.ProcessEnv, edit: EnvEdit): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const [k, v] of Object.entries(edit)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** The real bin as a child process in `cwd`; stdin closed. */
export function runBin(cwd: string, args: string[], env: EnvEdit = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: edited(process.env, env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Many commands through the compiled CLI in one child process (test/helpers/cli-batch.mjs loads it as the bin
 * does), `env` applied to that process; stdin at its end for each command. One result per job, in order.
 * With `timeout` (ms), a batch still running then is killed and rejects (a command that hangs). `wrapper`
 * is argv that runs the process (e.g. setpriv to drop privileges).
 */
export function runCompiled(
  jobs: Array<{ cwd: string; args: string[] }>,
  env: EnvEdit = {},
  { timeout, wrapper = [] }: { timeout?: number; wrapper?: string[] } = {},
): Promise<CliResult[]> {
  return new Promise((resolve, reject) => {
    const [command, ...args] = [...wrapper, process.execPath, BATCH];
    const child = spawn(command!, args, {
      env: edited(process.env, env),
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(timeout ? { timeout } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`cli-batch.mjs exited ${code ?? child.signalCode}: ${stderr}`));
      resolve(JSON.parse(stdout) as CliResult[]);
    });
    child.stdin.end(JSON.stringify(jobs));
  });
}

/** The CLI's main() in this process, run in `cwd` with `env` applied; its output captured. One at a time. */
export async function runInProcess(cwd: string, args: string[], env: EnvEdit = {}): Promise<CliResult> {
  const saved = {
    cwd: process.cwd(),
    env: { ...process.env },
    out: process.stdout.write,
    err: process.stderr.write,
    exitCode: process.exitCode,
  };
  let stdout = '';
  let stderr = '';
  process.chdir(cwd);
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  process.exitCode = undefined;
  // The CLI writes strings; the test runner's own protocol (binary chunks on stdout) passes through.
  const capture =
    (stream: NodeJS.WriteStream, original: typeof stream.write, add: (s: string) => void) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      if (typeof chunk !== 'string')
        return (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
      add(chunk);
      return true;
    };
  process.stdout.write = capture(
    process.stdout,
    saved.out,
    (s) => (stdout += s),
  ) as typeof process.stdout.write;
  process.stderr.write = capture(
    process.stderr,
    saved.err,
    (s) => (stderr += s),
  ) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    process.exitCode = saved.exitCode;
    process.chdir(saved.cwd);
    for (const k of Object.keys(process.env)) if (!(k in saved.env)) delete process.env[k];
    Object.assign(process.env, saved.env);
  }
}
