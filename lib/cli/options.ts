// Option helpers every command shares: `-c/--config`, `--no <steps>`, and loading the hive plus the
// selected targets in one call (all bad input surfaces as InputError, before any process starts).
import type { Command } from 'commander';
import { InputError } from '../errors.ts';
import { loadHive, selectTargets } from '../inventory/index.ts';
import type { ResolvedHive } from '../inventory/types.ts';
import { didYouMean } from '../inventory/did-you-mean.ts';

export const STEPS = ['build', 'copy', 'activate'] as const;
export type Step = (typeof STEPS)[number];

export interface ConfigOptions {
  config?: string;
}

export interface SkipOptions {
  no?: Set<Step>;
}

export function addConfigOption(cmd: Command): Command {
  return cmd.option('-c, --config <path>', 'hive config file, or a folder holding hive.config.ts', undefined);
}

/** Parses `--no build,copy` (repeatable); an unknown word is an InputError naming the argument. */
export function parseSteps(value: string, previous: Set<Step> | undefined): Set<Step> {
  const out = new Set(previous ?? []);
  const words = value.split(',').map((w) => w.trim());
  const bad = words.filter((w) => !(STEPS as readonly string[]).includes(w));
  if (bad.length > 0)
    throw new InputError(
      bad.map((w) => ({
        path: '--no',
        message: `unknown step "${w}"${didYouMean(w, STEPS) || `; expected a comma list of ${STEPS.join(', ')}`}`,
      })),
    );
  for (const w of words) out.add(w as Step);
  return out;
}

export function addSkipOption(cmd: Command): Command {
  return cmd.option('--no <steps>', `steps to skip, a comma list of ${STEPS.join(', ')}`, parseSteps);
}

export function skips(options: SkipOptions, step: Step): boolean {
  return options.no?.has(step) ?? false;
}

/** Loads the hive from `-c` and selects the targets; throws InputError with every problem. */
export async function loadSelection(
  options: ConfigOptions,
  patterns: string[],
): Promise<{ hive: ResolvedHive; targets: string[] }> {
  const hive = await loadHive(options.config);
  return { hive, targets: selectTargets(hive, patterns) };
}
