// Pure argv builders for every nix command nix-hive runs. Tests assert these arrays exactly.
// `nix` subcommands get `--extra-experimental-features 'nix-command flakes'` so they work on Nix 2.8 through
// current Nix and Lix; the stable `nix-build`/`nix-store`/`nix-env` are preferred where they suffice.

export const NIX_FEATURES = ['--extra-experimental-features', 'nix-command flakes'] as const;
export const SYSTEM_PROFILE = '/nix/var/nix/profiles/system';

export interface Argv {
  command: string;
  args: string[];
}

/** One nix-build call for a group of systems that share a search path. */
export function nixBuildArgv(opts: {
  expressionFile: string;
  specFile: string;
  searchPath: Array<[string, string]>;
  attrs: string[];
  /** Nix's `builders` setting (distributed builds) for this call. */
  builders?: string;
  maxJobs?: number;
}): Argv {
  const args = [opts.expressionFile, '--argstr', 'specFile', opts.specFile];
  for (const [name, value] of opts.searchPath) args.push('-I', `${name}=${value}`);
  for (const attr of opts.attrs) args.push('-A', attr);
  if (opts.builders !== undefined) args.push('--option', 'builders', opts.builders);
  if (opts.maxJobs !== undefined) args.push('--max-jobs', String(opts.maxJobs));
  args.push('--no-out-link');
  return { command: 'nix-build', args };
}

/** Register an indirect GC root for a built path, so `nix-collect-garbage` keeps it between runs. */
export function addRootArgv(outPath: string, root: string): Argv {
  return { command: 'nix-store', args: ['--realise', outPath, '--add-root', root, '--indirect'] };
}

/** The derivations that produced the given outputs, one line each, in order. */
/** Evaluate one attribute of the build expression alone (finds which system of a failed batch is broken). */
export function instantiateArgv(opts: {
  expressionFile: string;
  specFile: string;
  searchPath: Array<[string, string]>;
  attr: string;
}): Argv {
  const args = [opts.expressionFile, '--argstr', 'specFile', opts.specFile];
  for (const [name, value] of opts.searchPath) args.push('-I', `${name}=${value}`);
  args.push('-A', opts.attr);
  return { command: 'nix-instantiate', args };
}

/**
 * An evaluator worker (eval-worker.nix): evaluates the systems of its spec one after another. `--read-write-mode`
 * writes each .drv to the store (`--eval` alone only computes their paths).
 */
export function evalWorkerArgv(opts: {
  expressionFile: string;
  specFile: string;
  searchPath: Array<[string, string]>;
}): Argv {
  const args = ['--eval', '--read-write-mode', opts.expressionFile, '--argstr', 'specFile', opts.specFile];
  for (const [name, value] of opts.searchPath) args.push('-I', `${name}=${value}`);
  return { command: 'nix-instantiate', args };
}

/**
 * Builds evaluated derivations in one call (nix-build realises .drv paths given as arguments); their outputs
 * are then valid in the store. The GC roots are added per system afterwards.
 */
export function realiseArgv(drvPaths: string[], options: { builders?: string; maxJobs?: number } = {}): Argv {
  const args = [...drvPaths];
  if (options.builders !== undefined) args.push('--option', 'builders', options.builders);
  if (options.maxJobs !== undefined) args.push('--max-jobs', String(options.maxJobs));
  args.push('--no-out-link');
  return { command: 'nix-build', args };
}

/** The Nix version line of the evaluator (part of the evaluation cache's key). */
export function nixVersionArgv(): Argv {
  return { command: 'nix-instantiate', args: ['--version'] };
}

export function deriverArgv(outPaths: string[]): Argv {
  return { command: 'nix-store', args: ['--query', '--deriver', ...outPaths] };
}

export function checkValidityArgv(paths: string[]): Argv {
  return { command: 'nix-store', args: ['--check-validity', ...paths] };
}

/** Sign a whole closure with the hive's secret key. */
export function signArgv(keyFile: string, outPath: string): Argv {
  return {
    command: 'nix',
    args: [...NIX_FEATURES, 'store', 'sign', '--recursive', '--key-file', keyFile, outPath],
  };
}

/**
 * Sign a whole closure with a secret key given on stdin (never in argv or on disk). Nix opens the key file
 * by path, and a spawned process's stdin is a socket that `/dev/stdin` cannot open; `cat` in a fixed
 * `sh -c` pipeline hands the key over through a real pipe (the nix argv follows as `$0 "$@"`).
 */
export function signFromStdinArgv(outPath: string): Argv {
  const nix = signArgv('/dev/stdin', outPath);
  return { command: 'sh', args: ['-c', 'cat | "$0" "$@"', nix.command, ...nix.args] };
}

/** The public key line of a secret key (the key is read from stdin). */
export function publicKeyArgv(): Argv {
  return { command: 'nix', args: [...NIX_FEATURES, 'key', 'convert-secret-to-public'] };
}

export function generateKeyArgv(name: string, secretFile: string, publicFile: string): Argv {
  return { command: 'nix-store', args: ['--generate-binary-cache-key', name, secretFile, publicFile] };
}

/**
 * Copy a closure to a store. With `substitute`, the destination first tries its own substituters
 * (its store host), so only what they lack crosses the deployer's uplink. With `compress`, an ssh store
 * gets `compress=true` (Nix runs `ssh -C`; see compressedStoreUri).
 */
export function copyArgv(storeUri: string, outPath: string, substitute: boolean, compress = false): Argv {
  const args = [...NIX_FEATURES, 'copy', '--to', compress ? compressedStoreUri(storeUri) : storeUri];
  if (substitute) args.push('--substitute-on-destination');
  args.push(outPath);
  return { command: 'nix', args };
}

/**
 * An ssh store URI (`ssh://`, `ssh-ng://`) with the store setting `compress=true` (Nix 2.x: `ssh -C`); other
 * stores, and URIs that already choose a `compress`, are returned as they are.
 */
export function compressedStoreUri(uri: string): string {
  if (!/^ssh(-ng)?:\/\//.test(uri)) return uri;
  const query = uri.indexOf('?');
  if (query >= 0 && /(^|&)compress=/.test(uri.slice(query + 1))) return uri;
  return `${uri}${query >= 0 ? '&' : '?'}compress=true`;
}

/** The ssh store URI for an instance: the name resolves through the generated ssh_config. */
export function instanceStoreUri(instance: string): string {
  return `ssh://${instance}`;
}

// ---- commands run on the target host (as argv; the host layer quotes them once) ----

/** Nix's settings as JSON on a host (`show-config` works from 2.4 on, and as an alias on newer Nix/Lix). */
export function showConfigArgv(): string[] {
  return ['nix', ...NIX_FEATURES, 'show-config', '--json'];
}

/** The same as JSON on Nix versions that dropped `show-config` (2.20+ keep it as a deprecated alias). */
export function configShowArgv(): string[] {
  return ['nix', ...NIX_FEATURES, 'config', 'show', '--json'];
}

/** Run on a host: does its own store hold `path`? (exit 0 = yes) */
export function hasPathArgv(path: string): string[] {
  return ['nix-store', '--check-validity', path];
}

/** Does `store` hold `path`? Run on a dependent to ask its substituter. */
export function pathInfoArgv(store: string, path: string): string[] {
  return ['nix', ...NIX_FEATURES, 'path-info', '--store', store, path];
}

/** The closure of a path in the local store, one path a line. */
export function requisitesArgv(path: string): Argv {
  return { command: 'nix-store', args: ['--query', '--requisites', path] };
}

/** The NAR size of each path in the local store, one number a line, in order. */
export function pathSizesArgv(paths: string[]): Argv {
  return { command: 'nix-store', args: ['--query', '--size', ...paths] };
}

/** Run on a host: which of `paths` its store lacks (printed one a line; exit 0 either way). */
export function invalidPathsArgv(paths: string[]): string[] {
  return ['nix-store', '--check-validity', '--print-invalid', ...paths];
}
