// Waiting without leaving anything behind: `pause` (an abortable sleep) and `pollUntil` (ask until an answer,
// the time is up, or the signal aborts). Both sleep on node:timers/promises, which removes its abort listener
// when the timer fires, so a long run that polls often collects no listeners on its signal.
import { setTimeout as sleep } from 'node:timers/promises';

/** Sleeps `ms`; false when `signal` aborted it (before or during), true when the time passed. */
export async function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch (err) {
    if (signal?.aborted) return false;
    throw err;
  }
}

export interface PollOptions {
  /** Milliseconds between the end of one call and the start of the next. */
  interval: number;
  /** Milliseconds from the start after which no new call is made (Infinity: no limit). */
  timeout: number;
  /** Stops the polling: no new call, the current pause ends at once. */
  signal?: AbortSignal;
  /** Milliseconds to wait before the first call. */
  delay?: number;
}

/**
 * Calls `fn` (with the milliseconds left) until it returns something other than undefined, and returns that.
 * Returns undefined when the time is up or the signal aborted; what `fn` throws goes to the caller.
 */
export async function pollUntil<T>(
  fn: (leftMs: number) => Promise<T | undefined>,
  o: PollOptions,
): Promise<T | undefined> {
  const deadline = Date.now() + o.timeout;
  if (o.delay && !(await pause(o.delay, o.signal))) return undefined;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0 || o.signal?.aborted) return undefined;
    const answer = await fn(left);
    if (answer !== undefined) return answer;
    if (!(await pause(o.interval, o.signal))) return undefined;
  }
}
