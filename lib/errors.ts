// Error types: one HiveError base with a code, a short message, a hint and the cause.
// The CLI edge alone turns these into exit codes and printed lines.

export type ErrorCode =
  | 'E_INPUT' // bad inventory or arguments: exit 2, nothing started
  | 'E_CONFIG_LOAD' // the config file could not be loaded
  | 'E_COMMAND' // a spawned process failed
  | 'E_HOST' // a per-host failure
  | 'E_STATE' // the state file is unreadable
  | 'E_INTERRUPTED';

export class HiveError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
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

/** Bad input: every problem at once, one line each. The CLI exits 2 and starts no process. */
export class InputError extends HiveError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super('E_INPUT', problems.map(formatProblem).join('\n'));
    this.name = 'InputError';
    this.problems = problems;
  }
}

export function inputError(path: string, message: string): InputError {
  return new InputError([{ path, message }]);
}

/** A host returned to its previous system after a failed activation, check or confirmation (outcome `rolled-back`). */
export class RolledBackError extends HiveError {
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super('E_HOST', message, options);
    this.name = 'RolledBackError';
  }
}

/** A host that did not answer within a bound it was given, e.g. after a reboot (outcome `unreachable`). */
export class UnreachableError extends HiveError {
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super('E_HOST', message, options);
    this.name = 'UnreachableError';
  }
}
