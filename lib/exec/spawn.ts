// The one place that spawns processes. Wraps execa: argv arrays only (never a shell), lines streamed
// to a callback, exit codes and signals turned into a result or a typed CommandError. Injectable for tests.
import { execa } from 'execa';
import { CommandError } from '../errors.ts';

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Text or bytes written to the child's stdin; otherwise stdin is closed (`ignore`), or `inherit`ed for interactive use. */
  input?: string | Uint8Array;
  /** Keep stdout as bytes in `stdoutBytes` (in memory only; `stdout` is then empty and no stdout line is streamed). */
  stdoutBytes?: boolean;
  stdin?: 'ignore' | 'inherit';
  /** Pass stdout/stderr straight through to the terminal (interactive `ssh`). */
  inheritOutput?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Each output line as it arrives. */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
}

export interface SpawnResult {
  command: string;
  args: string[];
  exitCode: number;
  /** Signal name when the process was killed. */
  signal: string | undefined;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** stdout as bytes, when asked for with `stdoutBytes`. */
  stdoutBytes?: Buffer;
  durationMs: number;
}

export type Spawner = (
  command: string,
  args: readonly string[],
  options?: SpawnOptions,
) => Promise<SpawnResult>;

function splitLines(onLine: (line: string) => void): (chunk: Buffer | string) => void {
  let rest = '';
  return (chunk) => {
    rest += chunk.toString();
    let i: number;
    while ((i = rest.indexOf('\n')) >= 0) {
      onLine(rest.slice(0, i));
      rest = rest.slice(i + 1);
    }
  };
}

/** How long output is still read after the process was killed by a signal. */
const ABANDON_OUTPUT_AFTER_KILL_MS = 500;

/** The real spawner. Never throws for a non-zero exit: callers decide (see `checked`). */
export const spawnProcess: Spawner = async (command, args, options = {}) => {
  const started = performance.now();
  const child = execa(command, [...args], {
    env: options.env,
    extendEnv: true,
    cwd: options.cwd,
    reject: false,
    shell: false,
    stripFinalNewline: false,
    timeout: options.timeoutMs,
    cancelSignal: options.signal,
    forceKillAfterDelay: 2000,
    ...(options.input !== undefined
      ? { input: options.input }
      : { stdin: options.stdin === 'inherit' ? 'inherit' : 'ignore' }),
    ...(options.inheritOutput ? { stdout: 'inherit', stderr: 'inherit' } : {}),
    ...(options.stdoutBytes ? { encoding: 'buffer' as const } : {}),
  });
  const onLine = options.onLine;
  if (onLine && !options.inheritOutput) {
    if (!options.stdoutBytes)
      child.stdout?.on(
        'data',
        splitLines((l) => onLine('stdout', l)),
      );
    child.stderr?.on(
      'data',
      splitLines((l) => onLine('stderr', l)),
    );
  }
  // A process we killed (timeout, cancel) or that died of a signal may leave its output pipes open in other
  // hands: a grandchild, or an ssh ControlMaster that was handed the client's stdio. Stop waiting for them soon.
  child.once('exit', (_code, signal) => {
    if (signal === null && !child.killed) return;
    setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, ABANDON_OUTPUT_AFTER_KILL_MS).unref();
  });
  const r = await child;
  const text = (v: unknown): string =>
    typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString() : '';
  return {
    command,
    args: [...args],
    exitCode: typeof r.exitCode === 'number' ? r.exitCode : r.isTerminated ? 128 : 1,
    signal: r.signal ?? undefined,
    timedOut: Boolean(r.timedOut),
    stdout: options.stdoutBytes ? '' : text(r.stdout),
    stderr: text(r.stderr),
    ...(options.stdoutBytes
      ? { stdoutBytes: r.stdout instanceof Uint8Array ? Buffer.from(r.stdout) : Buffer.alloc(0) }
      : {}),
    durationMs: performance.now() - started,
  };
};

/** Spawn and throw a CommandError unless the process exited 0. */
export async function checked(
  spawn: Spawner,
  command: string,
  args: readonly string[],
  options?: SpawnOptions & { what?: string },
): Promise<SpawnResult> {
  const r = await spawn(command, args, options);
  if (r.exitCode !== 0 || r.signal || r.timedOut) throw new CommandError(r, options?.what);
  return r;
}
