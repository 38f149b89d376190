// Health checks and the confirmation timeout of each instance: the instance's own value, else its
// system's, else `defaults`, else built-in (no checks; 30 s). Check defaults: timeout 10 s, 3 retries
// 2 s apart, http path `/` expecting 200. Values the schema rejects are left to its report.
import type { ResolvedCheck } from '../types.ts';
import { isDict, type Dict } from '../validate/guards.ts';

export const CHECK_DEFAULTS = { timeout: 10, retries: 3, interval: 2, path: '/', expect: 200 } as const;
export const DEFAULT_CONFIRM_TIMEOUT = 30;

const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);

function resolveCheck(raw: unknown): ResolvedCheck | undefined {
  if (!isDict(raw) || typeof raw.name !== 'string') return undefined;
  const cmd = Array.isArray(raw.cmd) ? raw.cmd.filter((w): w is string => typeof w === 'string') : undefined;
  const h = isDict(raw.http) ? raw.http : undefined;
  return {
    name: raw.name,
    cmd: cmd && cmd.length ? cmd : undefined,
    http:
      h && typeof h.port === 'number'
        ? {
            port: h.port,
            path: typeof h.path === 'string' ? h.path : CHECK_DEFAULTS.path,
            expect: num(h.expect, CHECK_DEFAULTS.expect),
          }
        : undefined,
    timeout: num(raw.timeout, CHECK_DEFAULTS.timeout),
    retries: num(raw.retries, CHECK_DEFAULTS.retries),
    interval: num(raw.interval, CHECK_DEFAULTS.interval),
  };
}

/** The first layer that sets `key`: instance, system, defaults. */
function firstSet(key: string, ...layers: Array<Dict | undefined>): unknown {
  for (const l of layers) if (l && l[key] !== undefined) return l[key];
  return undefined;
}

export function resolveRollout(
  instance: Dict,
  system: Dict | undefined,
  defaults: Dict,
): { checks?: ResolvedCheck[]; confirmTimeout?: number } {
  // Only what some layer sets: an inventory without checks resolves exactly as before.
  const out: { checks?: ResolvedCheck[]; confirmTimeout?: number } = {};
  const list = firstSet('checks', instance, system, defaults);
  if (Array.isArray(list))
    out.checks = list.map(resolveCheck).filter((c): c is ResolvedCheck => c !== undefined);
  const t = firstSet('confirmTimeout', instance, system, defaults);
  if (typeof t === 'number') out.confirmTimeout = t;
  return out;
}

/** The confirmation timeout of an instance in seconds (30 unless the inventory says otherwise). */
export function confirmTimeoutOf(i: { confirmTimeout?: number }): number {
  return i.confirmTimeout ?? DEFAULT_CONFIRM_TIMEOUT;
}

/** Problems the schema cannot state: exactly one of `cmd`/`http`, unique names in one list. */
export function checkListProblems(list: unknown, at: string): Array<{ path: string; message: string }> {
  if (!Array.isArray(list)) return [];
  const out: Array<{ path: string; message: string }> = [];
  const seen = new Set<string>();
  list.forEach((c, i) => {
    if (!isDict(c)) return;
    const p = `${at}[${i}]`;
    if ((c.cmd === undefined) === (c.http === undefined))
      out.push({ path: p, message: 'a check needs exactly one of `cmd` or `http`' });
    if (typeof c.name === 'string') {
      if (seen.has(c.name)) out.push({ path: `${p}.name`, message: `duplicate check name "${c.name}"` });
      seen.add(c.name);
    }
  });
  return out;
}
