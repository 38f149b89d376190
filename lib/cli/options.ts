// Option helpers every command shares: `-c/--config`, `--no <steps>`, and loading the hive plus the
// selected targets in one call (all bad input surfaces as InputError, before any process starts).
import type { EvalChoice } from '../deploy/build/build-systems.ts';
import { DEFAULT_EVAL_MAX_MEMORY_MIB } from '../nix/eval-pool.ts';
import path from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../errors.ts';
import { loadHive, selectTargets } from '../inventory/index.ts';
import type { ResolvedHive } from '../inventory/types.ts';
import { didYouMean } from '../inventory/validate/did-you-mean.ts';
import { signingKeyOverride } from '../inventory/resolve/signing-key.ts';
import { applyBuildHost, refuseBuildHost } from './build-host-flag.ts';

export const STEPS = ['build', 'copy', 'activate', 'keys'] as const;
export type Step = (typeof STEPS)[number];

export interface ConfigOptions {
  config?: string;
  /** `--signing-key <file>` (deploy, plan, build). */
  signingKey?: string;
  /** `--build-host`: overrides every system's `build.host`. */
  buildHost?: string;
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

/** `--signing-key <file>`: beats NIX_HIVE_SIGNING_KEY, which beats the config's signingKey. */
export function addSigningKeyOption(cmd: Command): Command {
  return cmd.option(
    '--signing-key <file>',
    'the Nix secret key file that signs pushed paths (default: $NIX_HIVE_SIGNING_KEY, then the config)',
  );
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
  const signingKey = signingKeyOverride(options.signingKey, process.env.NIX_HIVE_SIGNING_KEY);
  const hive = await loadHive(options.config, { signingKey });
  if (options.buildHost !== undefined) applyBuildHost(hive, options.buildHost);
  const targets = selectTargets(hive, patterns);
  refuseBuildHost(hive, targets);
  return { hive, targets };
}

export interface EvalFlags {
  evalJobs?: string;
  evalMaxMemory: string;
  evalCache: boolean;
}

/** `--eval-jobs`, `--eval-max-memory`, `--no-eval-cache` (build, deploy, plan). */
export function addEvalOptions(cmd: Command): Command {
  return cmd
    .option('--eval-jobs <n>', 'evaluator processes at once (default: the number of CPUs)')
    .option(
      '--eval-max-memory <MiB>',
      'memory of one evaluator process after which it is replaced by a fresh one',
      String(DEFAULT_EVAL_MAX_MEMORY_MIB),
    )
    .option('--no-eval-cache', 'evaluate every system, even one whose inputs did not change');
}

export function evalChoice(flags: EvalFlags): EvalChoice {
  return {
    ...(flags.evalJobs !== undefined ? { jobs: parseCount('--eval-jobs', flags.evalJobs) } : {}),
    maxMemoryMiB: parseCount('--eval-max-memory', flags.evalMaxMemory),
    useCache: flags.evalCache,
  };
}

export function parseCount(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InputError([{ path: flag, message: `must be a whole number ≥ 1, got "${value}"` }]);
  }
  return n;
}

/** A duration option in seconds, fractions allowed (`--timeout 1.5`). */
export function parseSeconds(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n) || n <= 0) {
    throw new InputError([{ path: flag, message: `must be a number of seconds > 0, got "${value}"` }]);
  }
  return n;
}

/** The state file's path: `--state`, or hive.state beside the config; undefined for `--no-state`. */
export function statePath(flags: { state?: string | false }, hive: ResolvedHive): string | undefined {
  if (flags.state === false) return undefined;
  return typeof flags.state === 'string' ? path.resolve(flags.state) : path.join(hive.root, 'hive.state');
}
