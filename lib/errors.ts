// Every error class of nix-hive, each with its code and its exit code. A failure of the whole run (bad
// input, an unloadable config, an unwritable state) is kept apart from a per-host failure, which a deploy
// records and goes on. `cli/main.ts` is the only place that turns one of these into an exit code.
import type { SpawnResult } from './exec/spawn.ts';

export type ErrorCode =
  | 'E_INPUT' // bad inventory or arguments
  | 'E_CONFIG_LOAD' // the config file could not be found, imported or parsed
  | 'E_COMMAND' // a spawned process failed
  | 'E_HOST' // a per-host failure (copy, activation, ssh)
  | 'E_STATE'; // hive.state cannot be read, written or locked

/** The base: a code, a short message, a hint for the user, the cause; `exitCode` when it ends the run. */
export class HiveError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  /** What the CLI exits with when this error ends the run. */
  readonly exitCode: number = 1;
  constructor(code: ErrorCode, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, { cause: options.cause });
    this.name = 'HiveError';
    this.code = code;
    this.hint = options.hint;
  }
}

/** One problem found in the user's input, with the path of the field (e.g. `instances.www-1.store`). */
export interface Problem {
  path: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}

/** Bad input: every problem at once, one line each. Exit 2, and no process was started. */
export class InputError extends HiveError {
  override readonly exitCode: number = 2;
  readonly problems: Problem[];
  constructor(problems: Problem[], options: { cause?: unknown } = {}) {
    super('E_INPUT', problems.map(formatProblem).join('\n'), options);
    this.name = 'InputError';
    this.problems = problems;
  }
}

export function inputError(path: string, message: string): InputError {
  return new InputError([{ path, message }]);
}

/** The config file could not be found, imported or parsed: bad input (exit 2), one line naming the file. */
export class ConfigLoadError extends InputError {
  override readonly code: ErrorCode = 'E_CONFIG_LOAD';
  constructor(file: string, message: string, cause?: unknown) {
    super([{ path: file, message }], { cause });
    this.name = 'ConfigLoadError';
  }
}

/** hive.state cannot be read, written or locked (exit 1; a check before the run starts is an InputError). */
export class StateError extends HiveError {
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super('E_STATE', message, options);
    this.name = 'StateError';
  }
}

/** A host-side step failed (copy refused, activation failed or timed out): recorded per host. */
export class HostError extends HiveError {
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super('E_HOST', message, options);
    this.name = 'HostError';
  }
}

/** Preparing a relayed copy failed; `parentAtFault` says whether the copy falls back because of the parent. */
export class RelayFailure extends HostError {
  constructor(
    message: string,
    readonly parentAtFault: boolean,
  ) {
    super(message);
    this.name = 'RelayFailure';
  }
}

/** A process that exited non-zero (or was killed); the message is short, the detail carries the output. */
export class CommandError extends HiveError {
  readonly result: SpawnResult;
  constructor(result: SpawnResult, what?: string) {
    const how = result.timedOut
      ? 'timed out'
      : result.signal
        ? `was killed by ${result.signal}`
        : `exited with code ${result.exitCode}`;
    const last = lastLine(result.stderr || result.stdout);
    super('E_COMMAND', `${what ?? result.command} ${how}${last ? `: ${last}` : ''}`);
    this.name = 'CommandError';
    this.result = result;
  }
}

function lastLine(text: string): string | undefined {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .at(-1);
}

export type SshFailureKind =
  | 'host-key-mismatch'
  | 'host-key-unknown'
  | 'timeout'
  | 'refused'
  | 'unreachable'
  | 'auth'
  | 'connection-lost';

/** ssh itself failed (not the remote command). Ends `ssh`/`scp` with 255, as ssh(1) does. */
export class SshError extends HiveError {
  override readonly exitCode: number = 255;
  readonly kind: SshFailureKind;
  readonly instance: string;
  /** The ssh process that failed, when there was one. */
  readonly result: SpawnResult | undefined;
  constructor(
    kind: SshFailureKind,
    instance: string,
    message: string,
    options: { hint?: string; cause?: unknown; result?: SpawnResult } = {},
  ) {
    super('E_HOST', message, options);
    this.name = 'SshError';
    this.kind = kind;
    this.instance = instance;
    this.result = options.result;
  }
}

/** A host returned to its previous system after a failed activation, check or confirmation (outcome `rolled-back`). */
export class RolledBackError extends HostError {
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options);
    this.name = 'RolledBackError';
  }
}

/** A host that did not answer within a bound it was given, e.g. after a reboot (outcome `unreachable`). */
export class UnreachableError extends HostError {
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options);
    this.name = 'UnreachableError';
  }
}

/** A host whose switch lock another switch held: nothing was switched there (outcome `busy`). */
export class BusyError extends HostError {
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options);
    this.name = 'BusyError';
  }
}
