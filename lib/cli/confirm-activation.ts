// The CLI side of `deploy --diff` / `--confirm` / `--yes`: checked before anything starts (without a terminal
// `--confirm` needs `--yes`), then, once builds and copies ended, the diff is shown and, on a terminal, the
// question `Activate on N hosts? [y/N]` asked; anything but yes activates nothing.
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { inputError } from '../errors.ts';
import type { BeforeActivation } from '../deploy/deploy.ts';
import type { ResolvedHive } from '../inventory/types.ts';
import { renderDiff } from '../diff/render.ts';
import { diffOverHosts } from './commands/diff.ts';

export interface ConfirmFlags {
  diff?: boolean;
  confirm?: boolean;
  yes?: boolean;
  activationDiff: boolean;
}

export function addConfirmOptions(cmd: Command): Command {
  return cmd
    .option('--diff', 'after build and copy, show what activation will change (and ask, on a terminal)')
    .option(
      '--confirm',
      'after build and copy, show the diff and ask before activating; needs a terminal or --yes',
    )
    .option('-y, --yes', 'do not ask: activate after showing the diff')
    .option('--no-activation-diff', 'with --diff/--confirm: do not run switch-to-configuration dry-activate');
}

export interface ConfirmPlan {
  /** Show the diff before activating. */
  show: boolean;
  /** Ask on the terminal. */
  ask: boolean;
}

/**
 * What the flags ask for; bad input (a question with nobody to answer it) before anything starts.
 * `--reboot=auto` (`rebootOnly`) needs the diff too: it is shown, and asked about only with --diff/--confirm.
 */
export function confirmPlan(flags: ConfirmFlags, terminal: boolean, rebootOnly?: Set<string>): ConfirmPlan {
  if (flags.confirm && !terminal && !flags.yes)
    throw inputError('--confirm', 'needs a terminal to ask on; add --yes to activate without asking');
  const asked = Boolean(flags.diff || flags.confirm);
  return { show: showsDiff(flags, rebootOnly), ask: asked && terminal && !flags.yes };
}

/** Whether the deploy reads the diff before any activation (so every activation waits for all copies). */
export function showsDiff(flags: ConfirmFlags, rebootOnly?: Set<string>): boolean {
  return Boolean(flags.diff || flags.confirm) || rebootOnly !== undefined;
}

/** A yes is `y` or `yes`, any case. */
export const isYes = (answer: string) => /^\s*y(es)?\s*$/i.test(answer);

/** Asks one question on stderr, reads one line of stdin; an abort (Ctrl-C) or end of input is a no. */
export function ask(question: string, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
    let done = false;
    const finish = (yes: boolean) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      rl.close();
      process.stdin.pause();
      resolve(yes);
    };
    const onAbort = () => {
      process.stderr.write('\n');
      finish(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    rl.once('line', (line) => finish(isYes(line)));
    rl.once('close', () => finish(false));
    process.stderr.write(question);
  });
}

/** The deploy's `beforeActivation`: the diff, shown (text on stdout, or a JSON line), then the question. */
export function beforeActivation(
  hive: ResolvedHive,
  plan: ConfirmPlan,
  /** `--reboot=auto`: filled with the instances whose diff needs a reboot. */
  rebootOnly: Set<string> | undefined,
  o: {
    json: boolean;
    verbose: boolean;
    parallel: number;
    activationDiff: boolean;
    /** Ends the live view before anything is written around it. */
    pauseView: () => Promise<void>;
    signal: AbortSignal;
  },
): (info: BeforeActivation) => Promise<boolean> {
  return async (info) => {
    const diff = await diffOverHosts(hive, info.instances, info.built, info.remote, {
      parallel: o.parallel,
      activationDiff: o.activationDiff,
    });
    for (const b of diff.blocks) for (const r of b.needsReboot) rebootOnly?.add(r.instance);
    await o.pauseView();
    process.stdout.write(
      o.json
        ? JSON.stringify({ kind: 'diff', diff }) + '\n'
        : renderDiff(diff, { verbose: o.verbose }) + '\n',
    );
    if (!plan.ask) return true;
    const n = info.instances.length;
    return ask(`Activate on ${n.toLocaleString('en-US')} host${n === 1 ? '' : 's'}? [y/N] `, o.signal);
  };
}
