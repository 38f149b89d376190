// Pure argv builders for flakes: enumerate a flake's systems, build many toplevels in one `nix build`,
// and evaluate a toplevel's derivation and output path (the evaluator pool). Every call honours the
// flake's lock and never writes it (`--no-update-lock-file`).
import { NIX_FEATURES, type Argv } from './argv.ts';

const LOCKED = '--no-update-lock-file';

/** The names of a flake's `nixosConfigurations`, as a JSON list on stdout. */
export function flakeSystemNamesArgv(ref: string): Argv {
  return {
    command: 'nix',
    args: [
      ...NIX_FEATURES,
      'eval',
      '--json',
      LOCKED,
      `${ref}#nixosConfigurations`,
      '--apply',
      'builtins.attrNames',
    ],
  };
}

/** Builds every installable in one invocation; `--json` prints `[{drvPath, outputs: {out}}]` in order. */
export function flakeBuildArgv(
  installables: string[],
  options: { builders?: string; maxJobs?: number } = {},
): Argv {
  return {
    command: 'nix',
    args: [
      ...NIX_FEATURES,
      'build',
      '--json',
      '--no-link',
      LOCKED,
      ...localBuildOptions(options),
      ...installables,
    ],
  };
}

/** The derivation and output path of an installable, as a JSON pair, evaluated without building. */
export function flakeEvalPathsArgv(installable: string): Argv {
  return {
    command: 'nix',
    args: [...NIX_FEATURES, 'eval', '--json', LOCKED, installable, '--apply', 'd: [ d.drvPath d.outPath ]'],
  };
}

/** `build.builders` and `build.maxJobs` as options of a local build (nix-build and nix build alike). */
export function localBuildOptions(options: { builders?: string; maxJobs?: number }): string[] {
  const out: string[] = [];
  if (options.builders !== undefined) out.push('--option', 'builders', options.builders);
  if (options.maxJobs !== undefined) out.push('--max-jobs', String(options.maxJobs));
  return out;
}
