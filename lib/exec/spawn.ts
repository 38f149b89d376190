// The one place that spawns processes. Wraps execa: argv arrays only (never a shell), lines streamed
// to a callback, exit codes and signals turned into a result or a typed CommandError. Injectable for tests.
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
  /**
   * Keep stdin open (after `input`, if any) until the process ends: the remote wrapper of `run` takes its
   * end of file for "the client is gone".
   */
  holdStdin?: boolean;
  /**
   * Stay in the terminal's process group even while an orderly stop is armed (see `childrenInOwnSession`), so
   * the terminal's Ctrl-C reaches the child and it may prompt on /dev/tty. Implied by `stdin: 'inherit'` and
   * `inheritOutput`.
   */
  terminal?: boolean;
  /** Called with the child's pid once it runs (the evaluator pool samples its memory). */
  onSpawn?: (pid: number) => void;
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

let ownSession = 0;

/**
 * While a command has an orderly stop armed (`cli/interrupt.ts`), its children get their own session: a Ctrl-C
 * or SIGHUP sent to the terminal's process group reaches nix-hive alone, which stops them in order (the
 * running activation finishes). Without one, they share the terminal's group and end with nix-hive, as any
 * shell job's children do. Returns the undo.
 */
export function childrenInOwnSession(): () => void {
  ownSession++;
  let undone = false;
  return () => {
    if (!undone) ownSession--;
    undone = true;
  };
}

/** How long output is still read after the process was killed by a signal. */
const ABANDON_OUTPUT_AFTER_KILL_MS = 500;

/** The real spawner. Never throws for a non-zero exit: callers decide (see `checked`). */
export const spawnProcess: Spawner = async (command, args, options = {}) => {
  const started = performance.now();
  const { execa } = await import('execa'); // loaded on first use, not at the CLI's start-up
  const terminal = options.terminal || options.stdin === 'inherit' || options.inheritOutput;
  const child = execa(command, [...args], {
    detached: !terminal && ownSession > 0,
    env: options.env,
    extendEnv: true,
    cwd: options.cwd,
    reject: false,
    shell: false,
    stripFinalNewline: false,
    timeout: options.timeoutMs,
    cancelSignal: options.signal,
    forceKillAfterDelay: 2000,
    ...(options.holdStdin
      ? { stdin: 'pipe' as const }
      : options.input !== undefined
        ? { input: options.input }
        : { stdin: options.stdin === 'inherit' ? ('inherit' as const) : ('ignore' as const) }),
    ...(options.inheritOutput ? { stdout: 'inherit', stderr: 'inherit' } : {}),
    ...(options.stdoutBytes ? { encoding: 'buffer' as const } : {}),
  });
  if (options.onSpawn && child.pid !== undefined) options.onSpawn(child.pid);
  if (options.holdStdin && child.stdin) {
    // A process that ends without reading all of it must not turn into an EPIPE error here.
    child.stdin.on('error', () => {});
    if (options.input !== undefined) child.stdin.write(options.input);
    const release = () => child.stdin?.destroy();
    child.once('exit', release);
    child.once('error', release);
  }
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
