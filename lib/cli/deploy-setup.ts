// One validation path for `plan`, `deploy --dry-run` and `deploy`: every option is parsed (and refused) the same
// way, `--failed` narrows the targets the same way, and a real run first takes hive.state's lock and proves the
// file writable, so bad input, a locked or an unwritable state stop the run before anything starts.
import { InputError, inputError, StateError } from '../errors.ts';
import { didYouMean } from '../inventory/validate/did-you-mean.ts';
import { signingKeyFileProblem } from '../inventory/validate/file-checks.ts';
import type { ResolvedHive } from '../inventory/types.ts';
import { GOALS, isGoal, type Goal } from '../nix/goal.ts';
import { lockState, type StateLock } from '../state/lock.ts';
import { failedInstances } from '../state/record.ts';
import { errnoText, StateFile } from '../state/store.ts';
import {
  loadSelection,
  parseCount,
  skips,
  statePath,
  type ConfigOptions,
  type SkipOptions,
} from './options.ts';

export interface DeploySetupFlags extends ConfigOptions, SkipOptions {
  goal: string;
  parallel: string;
  storeFanout: string;
  relayFanout: string;
  pushBelow: string;
  allowDirect?: boolean;
  /** A path, or false for `--no-state`. */
  state?: string | false;
  failed?: boolean;
  connectTimeout: string;
  activationTimeout: string;
}

export interface DeploySetup {
  goal: Goal;
  skip: { build: boolean; copy: boolean; activate: boolean; keys: boolean };
  allowDirect: boolean;
  parallel: number;
  storeFanout: number;
  relayFanout: number;
  /** Push a small change from here up to this many new bytes per instance (`--push-below`; 0 = never). */
  pushBelow: number;
  connectTimeout: number;
  activationTimeout: number;
  hive: ResolvedHive;
  targets: string[];
  /** hive.state, unless `--no-state`. */
  state: StateFile | undefined;
  /** Held for a real run; release it when the run ends. */
  lock: StateLock | undefined;
  /** Why there is nothing to do, when `targets` is empty. */
  nothing: string | undefined;
  /** Messages about the selection (e.g. `--failed` leaving out instances that did not fail). */
  notes: string[];
}

export function parseGoal(value: string): Goal {
  if (isGoal(value)) return value;
  throw new InputError([
    {
      path: '--goal',
      message: `unknown goal "${value}"${didYouMean(value, GOALS)} (expected ${GOALS.join(', ')})`,
    },
  ]);
}

/** `--push-below`: bytes, with an optional K or M (KiB, MiB); 0 = never push. */
export function parsePushBelow(value: string): number {
  const m = /^(\d+)([KkMm]?)$/.exec(value);
  const n = m ? Number(m[1]) * (m[2] ? (/[Kk]/.test(m[2]) ? 1024 : 1024 * 1024) : 1) : NaN;
  if (Number.isSafeInteger(n)) return n;
  throw inputError(
    '--push-below',
    `must be a size in bytes, K or M (e.g. 2M; 0 = never push), got "${value}"`,
  );
}

/** `--relay-fanout`: a whole number, 0 (the star) allowed. */
export function parseFanout(value: string): number {
  const n = Number(value);
  if (/^\d+$/.test(value) && Number.isSafeInteger(n)) return n;
  throw inputError('--relay-fanout', `must be a whole number ≥ 0 (0 = no relay), got "${value}"`);
}

/**
 * Parses every option, loads the hive and selects the targets. With `runId` (a real run, not a plan), takes
 * hive.state's lock for that run and proves the file writable; otherwise only reads it.
 */
export async function prepareDeploy(
  patterns: string[],
  flags: DeploySetupFlags,
  runId?: string,
): Promise<DeploySetup> {
  const parsed = {
    goal: parseGoal(flags.goal),
    skip: {
      build: skips(flags, 'build'),
      copy: skips(flags, 'copy'),
      activate: skips(flags, 'activate'),
      keys: skips(flags, 'keys'),
    },
    allowDirect: Boolean(flags.allowDirect),
    parallel: parseCount('--parallel', flags.parallel),
    storeFanout: parseCount('--store-fanout', flags.storeFanout),
    relayFanout: parseFanout(flags.relayFanout),
    pushBelow: parsePushBelow(flags.pushBelow),
    connectTimeout: parseCount('--connect-timeout', flags.connectTimeout),
    activationTimeout: parseCount('--activation-timeout', flags.activationTimeout),
  };
  if (flags.failed && flags.state === false)
    throw inputError('--failed', 'needs hive.state; drop --no-state');
  const { hive, targets } = await loadSelection(flags, patterns);
  if (runId) refuseMissingSigningKey(hive);
  const file = statePath(flags, hive);
  const flag = typeof flags.state === 'string' ? '--state' : 'hive.state';
  const { state, lock } = runId
    ? await openStateForWrite(file, flag, runId)
    : { state: file ? await StateFile.open(file) : undefined, lock: undefined };
  try {
    const selection = flags.failed && state ? selectFailed(hive, targets, state, patterns) : undefined;
    const chosen = selection?.targets ?? targets;
    return {
      ...parsed,
      hive,
      targets: chosen,
      state,
      lock,
      nothing: chosen.length > 0 ? undefined : (selection?.nothing ?? 'the hive has no instances'),
      notes: selection?.notes ?? [],
    };
  } catch (e) {
    await lock?.release();
    throw e;
  }
}

/**
 * A real run signs: a signing key file that is missing or not a key, or an unset `{ env }`, stops it before
 * anything starts (the commands that do not sign never look). A `{ command }` runs when the first sign step does.
 */
function refuseMissingSigningKey(hive: ResolvedHive): void {
  const problem = signingKeyFileProblem(hive);
  if (problem) throw new InputError([problem]);
  const k = hive.signingKey;
  if (k?.kind === 'env' && !process.env[k.env]?.trim())
    throw inputError('signingKey.env', `the environment variable ${k.env} is not set`);
}

/**
 * Opens hive.state for a run that writes it: takes its lock (a StateError naming the holder when held), reads
 * it, and writes it once, so a missing folder or an unwritable file is one InputError naming `flag` and the
 * errno before anything starts. Undefined `file` (`--no-state`): nothing to open.
 */
export async function openStateForWrite(
  file: string | undefined,
  flag: string,
  runId: string,
): Promise<{ state: StateFile | undefined; lock: StateLock | undefined }> {
  if (!file) return { state: undefined, lock: undefined };
  const unwritable = (e: unknown) =>
    inputError(flag, `cannot write ${file}: ${errnoText(e)}; nothing was started`);
  let lock: StateLock;
  try {
    lock = await lockState(file, runId);
  } catch (e) {
    throw e instanceof StateError ? e : unwritable(e);
  }
  try {
    const state = await StateFile.open(file);
    await state.probeWrite().catch((e) => Promise.reject(unwritable(e)));
    return { state, lock };
  } catch (e) {
    await lock.release();
    throw e;
  }
}

/** `--failed`: the selected instances whose last deploy did not succeed, and the truth about the others. */
function selectFailed(
  hive: ResolvedHive,
  selected: string[],
  state: StateFile,
  patterns: string[],
): { targets: string[]; nothing: string | undefined; notes: string[] } {
  const failed = failedInstances(state).filter((n) => hive.instances[n]);
  const set = new Set(failed);
  const targets = selected.filter((t) => set.has(t));
  const notFailed = selected.filter((t) => !set.has(t));
  const list = (names: string[]) =>
    names.length > 5 ? `${names.slice(0, 5).join(', ')}, …` : names.join(', ');
  if (failed.length === 0)
    return { targets, nothing: 'hive.state records no failed instance; nothing to deploy', notes: [] };
  if (targets.length === 0) {
    return {
      targets,
      nothing: `--failed: none of the selected instances failed in its last deploy; the ones that did: ${list(failed)}`,
      notes: [],
    };
  }
  const notes =
    patterns.length > 0 && notFailed.length > 0
      ? [`--failed: leaving out ${list(notFailed)}: not failed in its last deploy`]
      : [];
  return { targets, nothing: undefined, notes };
}
