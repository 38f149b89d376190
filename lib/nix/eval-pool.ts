// The evaluator pool: `jobs` evaluator processes at once turn systems into derivation paths. A modules system
// is evaluated by an eval-worker.nix process that takes a share of the queue and evaluates its systems one
// after another, printing each path as it is known; once it passes `maxMemory` after a system, or has grown
// past `maxGrowth` × its memory after its first system, it is replaced by a fresh one (nix-eval-jobs' model,
// with Nix's own nix-instantiate). A flake system is one `nix eval` of its own. A system whose evaluation
// fails fails alone, with Nix's message; the others go on.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Spawner, SpawnResult } from '../exec/spawn.ts';
import { processMemory } from '../exec/memory.ts';
import type { ResolvedSystem } from '../inventory/types.ts';
import { toplevelInstallable } from '../inventory/resolve/flake-ref.ts';
import { searchPathKey, specAttr, type SpecEntry } from './build-groups.ts';
import { evalWorkerArgv } from './argv.ts';
import { nixMessage } from './nix-message.ts';
import { flakeEvalPathsArgv } from './flake-argv.ts';

export const EVAL_WORKER = fileURLToPath(new URL('./eval-worker.nix', import.meta.url));
export const DEFAULT_EVAL_MAX_MEMORY_MIB = 2048;
/**
 * A worker whose memory after a system has grown past this factor of its memory after its first system is
 * replaced too: what it holds beyond one system is what earlier systems left (Nix's heap only grows), and a
 * fresh worker costs one start-up. 1.25: issue 21 allows two workers 2.5 × one system's peak (checked
 * after each system, so a worker may pass it by one system's growth before it is replaced).
 */
export const DEFAULT_EVAL_MAX_GROWTH = 1.25;

/**
 * The initial heap of an evaluator's garbage collector (GC_INITIAL_HEAP_SIZE, read by Boehm GC; Nix's
 * initGC in src/libexpr/eval.cc expands the heap itself only when it is unset, to a quarter of the RAM up to
 * 384 MiB, "so that in most cases we don't need to garbage collect at all"). That suits one evaluation; a
 * worker that evaluates system after system collects anyway, and with the large heap it kept about 1.3 × a
 * system's memory from its second system on, against 1.1 × with 32 MiB (Nix's own size where it cannot
 * read the RAM) and no more CPU time (measured on Nix 2.8: README.md, the evaluator pool). A value the
 * user set wins.
 */
export const EVAL_GC_INITIAL_HEAP = '32M';

/** The environment of an evaluator: `env` with the pool's initial heap unless the user chose one. */
export function evaluatorEnv(
  env: Record<string, string | undefined> | undefined,
  processEnv: Record<string, string | undefined> = process.env,
): Record<string, string | undefined> {
  if (env?.GC_INITIAL_HEAP_SIZE !== undefined || processEnv.GC_INITIAL_HEAP_SIZE !== undefined)
    return { ...env };
  return { ...env, GC_INITIAL_HEAP_SIZE: EVAL_GC_INITIAL_HEAP };
}

export interface Evaluated {
  drvPath: string;
  outPath: string;
}

export interface EvalPoolOptions {
  spawn: Spawner;
  /** Evaluator processes at once. */
  jobs: number;
  /** Bytes; a worker above it after a system is replaced. */
  maxMemory: number;
  /** A worker above this factor of its memory after its first system is replaced (default DEFAULT_EVAL_MAX_GROWTH). */
  maxGrowth?: number;
  /** A folder for the workers' spec files (removed by the caller). */
  workDir: string;
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  signal?: AbortSignal;
  env?: Record<string, string | undefined>;
  /** Reads a process's memory in bytes (default: /proc); injectable for tests. */
  memoryOf?: (pid: number) => Promise<number | undefined>;
}

export interface EvalOutcome {
  evaluated: Record<string, Evaluated>;
  /** Systems whose evaluation failed, with Nix's own message. */
  failed: Record<string, string>;
}

/**
 * How many systems a worker takes from the queue: a share that shrinks as the queue does, so the workers
 * end together (guided self-scheduling), and never fewer than one.
 */
export function chunkSize(queued: number, jobs: number): number {
  return Math.max(1, Math.ceil(queued / (2 * Math.max(1, jobs))));
}

/**
 * Whether a worker at `bytes` after a system is replaced, and why: past the absolute bound, or grown past
 * `maxGrowth` × `first` (its memory after its first system; undefined until known).
 */
export function replaceReason(
  bytes: number,
  first: number | undefined,
  o: { maxMemory: number; maxGrowth?: number },
): string | undefined {
  if (bytes > o.maxMemory) return `evaluator at ${mib(bytes)} MiB (over ${mib(o.maxMemory)})`;
  const growth = o.maxGrowth ?? DEFAULT_EVAL_MAX_GROWTH;
  if (first !== undefined && first > 0 && bytes > growth * first)
    return `evaluator at ${mib(bytes)} MiB, ${(bytes / first).toFixed(2)} × its ${mib(first)} MiB after its first system (over ${growth})`;
  return undefined;
}

/** Evaluates every system; never throws for a system's own failure (only when aborted). */
export async function evaluateSystems(
  systems: ResolvedSystem[],
  given: EvalPoolOptions,
): Promise<EvalOutcome> {
  const o = { ...given, env: evaluatorEnv(given.env) };
  const outcome: EvalOutcome = { evaluated: {}, failed: {} };
  const queue = [...systems];
  const marker = `nix-hive-eval-${randomBytes(6).toString('hex')}`;
  let started = 0;
  const slot = async (): Promise<void> => {
    while (queue.length > 0) {
      o.signal?.throwIfAborted();
      const first = queue.shift()!;
      if (first.flake) {
        await evalFlake(first, o, outcome);
        continue;
      }
      // Systems of one search path share a worker (it is given with -I); the rest wait for another one.
      const key = searchPathKey(first.paths);
      const chunk = [first];
      const want = chunkSize(queue.length + 1, o.jobs);
      for (let i = 0; i < queue.length && chunk.length < want;) {
        const s = queue[i]!;
        if (!s.flake && searchPathKey(s.paths) === key) {
          chunk.push(s);
          queue.splice(i, 1);
        } else i++;
      }
      const undone = await runWorker(chunk, started++, marker, o, outcome);
      queue.unshift(...undone);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, slot));
  return outcome;
}

/** One worker over `chunk`; returns the systems it did not get to (replaced, or stopped by another's error). */
async function runWorker(
  chunk: ResolvedSystem[],
  n: number,
  marker: string,
  o: EvalPoolOptions,
  outcome: EvalOutcome,
): Promise<ResolvedSystem[]> {
  const specFile = path.join(o.workDir, `worker-${n}.json`);
  const systems: Record<string, SpecEntry> = {};
  chunk.forEach((s, i) => (systems[specAttr(i)] = specEntry(s)));
  await writeFile(specFile, JSON.stringify({ marker, order: Object.keys(systems), systems }));
  const argv = evalWorkerArgv({ expressionFile: EVAL_WORKER, specFile, searchPath: chunk[0]!.paths });
  const done = new Set<number>();
  const replace = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, replace.signal]) : replace.signal;
  let pid: number | undefined;
  /** Its memory after its first system. */
  let first: number | undefined;
  const memoryOf = o.memoryOf ?? processMemory;
  const r = await o.spawn(argv.command, argv.args, {
    env: o.env,
    signal,
    onSpawn: (p) => (pid = p),
    onLine: (stream, line) => {
      if (stream === 'stdout') return; // the count of systems it evaluated
      const hit = parseTrace(line, marker);
      if (!hit) return o.onLine?.(stream, line);
      const i = Number(hit.attr.slice(1));
      const s = chunk[i];
      if (!s || done.has(i)) return;
      done.add(i);
      outcome.evaluated[s.name] = { drvPath: hit.drvPath, outPath: hit.outPath };
      const nth = done.size;
      if (nth < chunk.length && pid !== undefined && !replace.signal.aborted)
        void memoryOf(pid).then((bytes) => {
          if (bytes === undefined || replace.signal.aborted) return;
          if (nth === 1) first = bytes;
          const why = replaceReason(bytes, first, o);
          if (why) {
            o.onLine?.('stderr', `nix-hive: ${why}: replaced`);
            replace.abort();
          }
        });
    },
  });
  o.signal?.throwIfAborted();
  const left = chunk.filter((_s, i) => !done.has(i));
  if (replace.signal.aborted || left.length === 0) return left;
  // The worker ended with systems left: the first of them is the one it could not evaluate.
  const culprit = left.shift()!;
  outcome.failed[culprit.name] =
    r.exitCode === 0 ? `${r.command} printed no derivation for it` : evalMessage(r, marker);
  return left;
}

async function evalFlake(s: ResolvedSystem, o: EvalPoolOptions, outcome: EvalOutcome): Promise<void> {
  const argv = flakeEvalPathsArgv(toplevelInstallable(s.flake!));
  const r = await o.spawn(argv.command, argv.args, { env: o.env, signal: o.signal, onLine: o.onLine });
  o.signal?.throwIfAborted();
  const paths = r.exitCode === 0 ? parsePaths(r.stdout) : undefined;
  if (paths) outcome.evaluated[s.name] = paths;
  else
    outcome.failed[s.name] = r.exitCode === 0 ? `unexpected output: ${r.stdout.trim()}` : evalMessage(r, '');
}

function parsePaths(stdout: string): Evaluated | undefined {
  try {
    const v = JSON.parse(stdout) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'string')
      return { drvPath: v[0], outPath: v[1] };
  } catch {
    // not JSON: reported by the caller
  }
  return undefined;
}

/** `trace: <marker> s3 /nix/store/…drv /nix/store/…` → its parts; anything else is the user's output. */
export function parseTrace(
  line: string,
  marker: string,
): { attr: string; drvPath: string; outPath: string } | undefined {
  const m = /^trace: (\S+) (s\d+) (\/\S+\.drv) (\/\S+)$/.exec(line.trim());
  return m && m[1] === marker ? { attr: m[2]!, drvPath: m[3]!, outPath: m[4]! } : undefined;
}

function specEntry(s: ResolvedSystem): SpecEntry {
  return {
    name: s.name,
    system: s.system,
    modules: s.modules,
    ...(s.seedFile ? { seed: { file: s.seedFile, name: s.name } } : {}),
  };
}

/** Nix's own error line, with the pool's trace lines left out. */
function evalMessage(r: SpawnResult, marker: string): string {
  const stderr = r.stderr
    .split('\n')
    .filter((l) => !(marker && parseTrace(l, marker)))
    .join('\n');
  return nixMessage({ ...r, stderr });
}

function mib(bytes: number): number {
  return Math.round(bytes / 2 ** 20);
}
