// Stopping long commands in order: the first SIGINT, SIGTERM or SIGHUP (or our output closing under us)
// stops new work and lets running steps finish for a grace period; a second signal (or the end of the
// grace period) kills them. The caller still closes its ssh session and saves its state. While it is
// armed, the processes we start get their own session, so the terminal's signals reach us alone.
import { setMaxListeners } from 'node:events';
import { childrenInOwnSession } from '../exec/spawn.ts';

export interface Interrupt {
  stop: AbortSignal;
  kill: AbortSignal;
  /** Why it stopped (`SIGINT`, `stdout closed`), once it has. */
  readonly reason: string | undefined;
  dispose(): void;
}

/** The grace of commands that only read (status, check, run): their running commands have nothing to finish. */
export const READ_ONLY_GRACE_MS = 3000;

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The interrupts in force now, so that a closed output can stop them as a signal would. */
const active = new Set<(why: string) => void>();

/** Stops every running command as a first Ctrl-C would (our output is gone: nobody sees the rest). */
export function interruptAll(why: string): void {
  for (const stop of active) stop(why);
}

export function interruptSignals(say: (text: string) => void, graceMs = 10_000): Interrupt {
  const stop = new AbortController();
  const kill = new AbortController();
  // Every running step (and each of its processes) listens to these: a fleet has more than node's
  // default of 10, which is no leak, only a warning on stderr.
  setMaxListeners(0, stop.signal, kill.signal);
  let timer: NodeJS.Timeout | undefined;
  let reason: string | undefined;
  const onStop = (why: string) => {
    if (!stop.signal.aborted) {
      reason = why;
      const again = why.startsWith('SIG') ? ' (again to stop now)' : '';
      say(`${why}: starting no new steps; waiting up to ${graceMs / 1000}s for running ones${again}`);
      stop.abort();
      timer = setTimeout(() => kill.abort(), graceMs);
      timer.unref();
    } else if (!kill.signal.aborted && why.startsWith('SIG')) {
      say(`${why}: stopping running steps now`);
      kill.abort();
    }
  };
  const onSignal = (sig: NodeJS.Signals) => onStop(sig);
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  active.add(onStop);
  const undoSession = childrenInOwnSession();
  return {
    stop: stop.signal,
    kill: kill.signal,
    get reason() {
      return reason;
    },
    dispose: () => {
      if (timer) clearTimeout(timer);
      for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
      active.delete(onStop);
      undoSession();
    },
  };
}

/**
 * The interrupt handling of every command that opens ssh connections to act on hosts (status, check, rollback,
 * run): the handlers are armed before the session opens and disarmed only once it is closed, so a Ctrl-C at any
 * point is the orderly kind (running commands stopped, masters closed, the session folder removed), never
 * node's default exit.
 */
export async function withInterruptedSession<S extends { close(): Promise<void> }, T>(
  open: () => Promise<S>,
  fn: (session: S, interrupt: Interrupt) => Promise<T>,
  graceMs?: number,
): Promise<T> {
  const interrupt = interruptSignals((text) => process.stderr.write(`nix-hive: ${text}\n`), graceMs);
  try {
    const session = await open();
    try {
      return await fn(session, interrupt);
    } finally {
      await session.close();
    }
  } finally {
    interrupt.dispose();
  }
}
