// Ctrl-C handling for long commands: the first SIGINT/SIGTERM stops new work and lets running steps
// finish for a grace period; a second one (or the end of the grace period) kills them.

export interface Interrupt {
  stop: AbortSignal;
  kill: AbortSignal;
  dispose(): void;
}

export function interruptSignals(say: (text: string) => void, graceMs = 10_000): Interrupt {
  const stop = new AbortController();
  const kill = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      say(
        `${sig}: starting no new steps; waiting up to ${graceMs / 1000}s for running ones (again to stop now)`,
      );
      stop.abort();
      timer = setTimeout(() => kill.abort(), graceMs);
      timer.unref();
    } else if (!kill.signal.aborted) {
      say(`${sig}: stopping running steps now`);
      kill.abort();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stop: stop.signal,
    kill: kill.signal,
    dispose: () => {
      if (timer) clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
