// Runs one argv on many hosts, at most `parallel` at once, each with its own timeout; reports events as it goes
// and returns one record per host (ok / failed / unreachable / interrupted). Never prints; one failing host
// stops nothing. Each command runs under the remote wrapper, so a timeout or an interrupt stops it there too.
import type { Host } from './host.ts';
import { runWrapperArgv } from './run-wrapper.ts';
import { SshError } from '../errors.ts';
import { mapLimit } from '../util/map-limit.ts';

export type RunOutcome = 'ok' | 'failed' | 'unreachable' | 'interrupted';

/** How long after the client's `--timeout` the remote side stops the command by itself (a lost connection). */
const BACKSTOP_MARGIN_S = 5;

export interface HostRunRecord {
  instance: string;
  stdout: string;
  stderr: string;
  /** The remote exit code; null when there was none (unreachable, timed out, interrupted). */
  code: number | null;
  durationMs: number;
  outcome: RunOutcome;
  /** Why it failed, in one line, when it is not just the exit code. */
  reason?: string;
}

export type RunEvent =
  | { kind: 'start'; instance: string }
  | { kind: 'line'; instance: string; stream: 'stdout' | 'stderr'; line: string }
  | { kind: 'done'; record: HostRunRecord };

export interface RunManyOptions {
  argv: string[];
  parallel: number;
  /** Per host. */
  timeoutMs?: number;
  /** As root (sudo for non-root users). */
  root?: boolean;
  /** The same stdin text for every host; otherwise stdin is /dev/null. */
  input?: string;
  /** Stops starting hosts (the running ones finish). */
  stop?: AbortSignal;
  /** Kills the running commands (and starts no more). */
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

export async function runOnHosts(hosts: readonly Host[], opts: RunManyOptions): Promise<HostRunRecord[]> {
  const emit = opts.onEvent ?? (() => {});
  return mapLimit(hosts, Math.max(1, opts.parallel), async (host) => {
    let record: HostRunRecord;
    if (opts.stop?.aborted || opts.signal?.aborted) {
      record = interrupted(host.name, 0, 'interrupted before it started');
    } else {
      emit({ kind: 'start', instance: host.name });
      record = await runOne(host, opts, emit);
    }
    emit({ kind: 'done', record });
    return record;
  });
}

async function runOne(host: Host, opts: RunManyOptions, emit: (e: RunEvent) => void): Promise<HostRunRecord> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const argv = runWrapperArgv(opts.argv, {
    backstopSeconds: opts.timeoutMs === undefined ? 0 : opts.timeoutMs / 1000 + BACKSTOP_MARGIN_S,
    inputBytes: opts.input === undefined ? undefined : Buffer.byteLength(opts.input),
  });
  try {
    const r = await host.run(argv, {
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      root: opts.root,
      input: opts.input,
      holdStdin: true,
      onLine: (stream, line) => emit({ kind: 'line', instance: host.name, stream, line }),
    });
    const base = { instance: host.name, stdout: r.stdout, stderr: r.stderr, durationMs: elapsed() };
    if (r.timedOut) {
      return {
        ...base,
        code: null,
        outcome: 'failed',
        reason: `timed out after ${(opts.timeoutMs ?? 0) / 1000} s`,
      };
    }
    if (opts.signal?.aborted) return { ...base, code: null, outcome: 'interrupted', reason: 'interrupted' };
    if (r.signal) return { ...base, code: null, outcome: 'failed', reason: `stopped (${r.signal})` };
    return { ...base, code: r.exitCode, outcome: r.exitCode === 0 ? 'ok' : 'failed' };
  } catch (e) {
    if (opts.signal?.aborted) return interrupted(host.name, elapsed(), 'interrupted');
    if (e instanceof SshError) {
      return {
        instance: host.name,
        stdout: e.result?.stdout ?? '',
        stderr: e.result?.stderr ?? '',
        code: null,
        durationMs: elapsed(),
        outcome: 'unreachable',
        reason: e.message,
      };
    }
    return failed(host.name, elapsed(), e instanceof Error ? e.message : String(e));
  }
}

function failed(instance: string, durationMs: number, reason: string): HostRunRecord {
  return { instance, stdout: '', stderr: '', code: null, durationMs, outcome: 'failed', reason };
}

function interrupted(instance: string, durationMs: number, reason: string): HostRunRecord {
  return { instance, stdout: '', stderr: '', code: null, durationMs, outcome: 'interrupted', reason };
}

export interface RunSummary {
  ok: HostRunRecord[];
  failed: HostRunRecord[];
  unreachable: HostRunRecord[];
  interrupted: HostRunRecord[];
  /** ok when every host succeeded, interrupted when any was (Ctrl-C), else failed. */
  outcome: 'ok' | 'failed' | 'interrupted';
}

export function summarize(records: readonly HostRunRecord[]): RunSummary {
  const by = (o: RunOutcome) => records.filter((r) => r.outcome === o);
  const s = {
    ok: by('ok'),
    failed: by('failed'),
    unreachable: by('unreachable'),
    interrupted: by('interrupted'),
  };
  return {
    ...s,
    outcome: s.ok.length === records.length ? 'ok' : s.interrupted.length > 0 ? 'interrupted' : 'failed',
  };
}
