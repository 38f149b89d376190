// Health checks of one instance, after its activation and on their own (`nix-hive check`): a `cmd` check runs
// on the host over its existing ssh connection (exit 0 = healthy); an `http` check is a GET from the deployer,
// to the instance's address, or over a forward on the host's own master when it sits behind a jump host (the
// port is never exposed). Each check gets 1 + retries attempts, `interval` apart, each bounded by `timeout`.
import http from 'node:http';
import type { ResolvedCheck, ResolvedHive, ResolvedInstance } from '../../inventory/types.ts';
import { lastLine } from '../../util/last-line.ts';
import { mapLimit } from '../../util/map-limit.ts';
import { pause } from '../../util/poll.ts';
import type { RemoteRunner } from '../context.ts';
import type { HttpEndpoint } from '../run/transport.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  attempts: number;
  /** What the last attempt saw (`exit 1: …`, `HTTP 503`, `connection refused`). */
  detail: string;
}

export interface CheckRunner {
  remote: RemoteRunner;
  endpoint?: (instance: string, port: number, signal?: AbortSignal) => Promise<HttpEndpoint>;
  log?: (line: string) => void;
  /** Stops the running checks (a failed attempt is not retried then). */
  signal?: AbortSignal;
  /** `checkFleet` starts no more hosts (their checks are not run: reported failed, `interrupted`). */
  stop?: AbortSignal;
}

async function cmdAttempt(r: CheckRunner, inst: ResolvedInstance, c: ResolvedCheck): Promise<string | null> {
  try {
    const x = await r.remote(inst.name, c.cmd!, { timeoutMs: c.timeout * 1000, signal: r.signal });
    if (x.timedOut) return `timed out after ${c.timeout}s`;
    if (x.exitCode === 0) return null;
    const last = lastLine(x.stderr || x.stdout);
    return `exit ${x.exitCode}${last ? `: ${last}` : ''}`;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function get(target: HttpEndpoint, hostHeader: string, path: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        ...('socketPath' in target
          ? { socketPath: target.socketPath }
          : { host: target.host, port: target.port }),
        path,
        method: 'GET',
        headers: { Host: hostHeader, Connection: 'close' },
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs / 1000}s`)));
    req.on('error', reject);
    req.end();
  });
}

async function httpAttempt(r: CheckRunner, inst: ResolvedInstance, c: ResolvedCheck): Promise<string | null> {
  const h = c.http!;
  const hostHeader = `${inst.address.includes(':') ? `[${inst.address}]` : inst.address}:${h.port}`;
  let target: HttpEndpoint | undefined;
  try {
    target = r.endpoint
      ? await r.endpoint(inst.name, h.port, r.signal)
      : { host: inst.address, port: h.port };
    const status = await get(target, hostHeader, h.path, c.timeout * 1000);
    return status === h.expect
      ? null
      : `HTTP ${status} from http://${hostHeader}${h.path} (expected ${h.expect})`;
  } catch (err) {
    return `http://${hostHeader}${h.path}: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    if (target && 'close' in target) await target.close().catch(() => {});
  }
}

export async function runCheck(
  r: CheckRunner,
  inst: ResolvedInstance,
  c: ResolvedCheck,
): Promise<CheckResult> {
  let detail = '';
  for (let attempt = 1; ; attempt++) {
    const failure = c.cmd ? await cmdAttempt(r, inst, c) : await httpAttempt(r, inst, c);
    if (failure === null) return { name: c.name, ok: true, attempts: attempt, detail: 'ok' };
    detail = failure;
    r.log?.(`check ${c.name} on ${inst.name}: attempt ${attempt} failed: ${failure}`);
    if (attempt > c.retries || !(await pause(c.interval * 1000, r.signal)))
      return { name: c.name, ok: false, attempts: attempt, detail };
  }
}

/** Runs the checks in order; with `stopAtFirst`, stops at the first that fails (a deploy rolls back then). */
export async function runChecks(
  r: CheckRunner,
  inst: ResolvedInstance,
  checks: ResolvedCheck[],
  stopAtFirst: boolean,
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of checks) {
    const res = await runCheck(r, inst, c);
    r.log?.(`check ${c.name} on ${inst.name}: ${res.ok ? 'ok' : `FAILED: ${res.detail}`}`);
    out.push(res);
    if (!res.ok && stopAtFirst) break;
  }
  return out;
}

/** `check <name> failed: <detail>` of the first failed check, or undefined when all passed. */
export function checkFailure(results: CheckResult[]): string | undefined {
  const bad = results.find((x) => !x.ok);
  return bad ? `check ${bad.name} failed: ${bad.detail}` : undefined;
}

/** `nix-hive check`: every check of every target (not stopping at a failure), `parallel` hosts at once. */
export async function checkFleet(
  hive: ResolvedHive,
  targets: string[],
  r: Omit<CheckRunner, 'log'>,
  parallel: number,
): Promise<Array<{ instance: string; results: CheckResult[] }>> {
  return mapLimit(targets, parallel, async (instance) => {
    const inst = hive.instances[instance]!;
    if (r.stop?.aborted || r.signal?.aborted) {
      const results = (inst.checks ?? []).map((c) => ({
        name: c.name,
        ok: false,
        attempts: 0,
        detail: 'interrupted',
      }));
      return { instance, results };
    }
    return { instance, results: await runChecks(r, inst, inst.checks ?? [], false) };
  });
}
