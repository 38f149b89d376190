// What a command ends with: its action returns an Outcome (through `act`), and main.ts alone turns that into
// the exit code of the process. No command sets that itself.
import type { Command } from 'commander';

/**
 * `ok` 0, `failed` 1 (a host or a step failed), `bad-input` 2, `interrupted` 130 (Ctrl-C, SIGTERM, SIGHUP),
 * `ssh` 255 (ssh itself failed); `{ child }`: an interactive child's own exit code, passed through (ssh, scp).
 */
export type Outcome = 'ok' | 'failed' | 'bad-input' | 'interrupted' | 'ssh' | { child: number };

/** The outcome of a fleet run's report: ok, else interrupted when it was, else failed. */
export function outcomeOf(report: { ok: boolean; interrupted?: boolean }): Outcome {
  return report.ok ? 'ok' : report.interrupted ? 'interrupted' : 'failed';
}

const ended = new WeakMap<Command, Outcome>();

/** Wraps a command's action: what it returns (nothing is `ok`) is kept for main.ts to read. */
export function act<A extends unknown[]>(
  fn: (...args: A) => Promise<Outcome | void>,
): (this: Command, ...args: A) => Promise<void> {
  return async function (this: Command, ...args: A) {
    const outcome = await fn(...args);
    let root: Command = this;
    while (root.parent) root = root.parent;
    ended.set(root, outcome ?? 'ok');
  };
}

/** The outcome the program's command returned (`ok` when it returned none). */
export function commandOutcome(program: Command): Outcome {
  return ended.get(program) ?? 'ok';
}
