// The CLI edge: parses argv with commander, dispatches to one module per command, and alone turns
// errors into printed lines and exit codes (each error class carries its own: lib/errors.ts), and a command's
// returned outcome into its exit code (lib/cli/outcome.ts). `run` is the process's entry (the bin and the zx
// tasks, through bin/dist.mjs): the one place that sets the process's exit code.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { HiveError } from '../errors.ts';
import { commands } from './commands/index.ts';
import { guardOutput } from './output-guard.ts';
import { commandOutcome, type Outcome } from './outcome.ts';

export function buildProgram(): Command {
  const program = new Command('nix-hive')
    .description('Deploy NixOS to fleets: build once, push through store hosts, activate in order.')
    .version(packageVersion(), '-V, --version', 'print the nix-hive version')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: () => {} });
  for (const register of commands) register(program);
  return program;
}

/** The `version` of this package's package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** The entry of the bin and the zx tasks: runs the CLI and sets the process's exit code (the one place). */
export async function run(argv: string[]): Promise<number> {
  const code = await main(argv);
  process.exitCode = code;
  return code;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  guardOutput();
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode(commandOutcome(program));
  } catch (err) {
    return report(err);
  }
}

/** The one map from a command's outcome to the exit code. */
export function exitCode(outcome: Outcome): number {
  if (typeof outcome === 'object') return outcome.child;
  return { ok: 0, failed: 1, 'bad-input': 2, interrupted: 130, ssh: 255 }[outcome];
}

export function report(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
      return 0;
    // No command at all: commander has printed the help (to stderr); its message is only `(outputHelp)`.
    if (err.code === 'commander.help') return 2;
    process.stderr.write(`nix-hive: ${err.message.replace(/^error: /, '')}\n`);
    return 2;
  }
  if (err instanceof HiveError) {
    for (const line of err.message.split('\n')) process.stderr.write(`nix-hive: ${line}\n`);
    if (err.hint) process.stderr.write(`nix-hive: hint: ${err.hint}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`nix-hive: internal error: ${e?.stack ?? String(err)}\n`);
  return 1;
}
