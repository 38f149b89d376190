// The shape of `hive.state`: a versioned JSON cache of what earlier runs built and did. A cache,
// never the truth: every use checks the real store or host first.
import type { Outcome } from '../progress/events.ts';

export const STATE_VERSION = 2;

export type StepName = 'build' | 'copy' | 'activate';
/** The step outcomes of a deploy (one union: lib/progress/events.ts). */
export type StepOutcome = Outcome;

export interface SystemState {
  outPath: string;
  drvPath: string | undefined;
  /** Hash of the system's inputs as far as we can know them (config entry, search path, module files). */
  fingerprint: string;
  builtAt: string;
}

export interface StepRecord {
  outcome: StepOutcome;
  /** The system path the step was about. */
  path: string | undefined;
  reason?: string;
  at: string;
}

export interface InstanceState {
  system: string;
  /** The system path of the last deploy attempt. */
  target: string | undefined;
  outcome: StepOutcome;
  reason?: string;
  steps: Partial<Record<StepName, StepRecord>>;
  /** System paths this instance received by a successful copy, newest first (a store receives several). */
  received?: string[];
  /** Set when a run targeted this instance (a store host that only received copies is not targeted). */
  targeted?: boolean;
  runId: string;
  at: string;
}

export interface HiveState {
  version: typeof STATE_VERSION;
  systems: Record<string, SystemState>;
  instances: Record<string, InstanceState>;
}

export function emptyState(): HiveState {
  return { version: STATE_VERSION, systems: {}, instances: {} };
}
