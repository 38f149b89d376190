// The events core code emits. Renderers (listr2, plain lines, JSON lines) and the log writer consume
// them; nothing under lib/ prints. A union tagged by `kind`.
import type { Plan, StepKind } from '../plan/types.ts';

/**
 * `rolled-back`: the host was returned to its previous system; `unreachable`: it did not come back in time;
 * `degraded`: the new system is active but some of its units failed (switch-to-configuration exit 4);
 * `needs-reboot`: the new system is installed and applies after a reboot (exit 100); `busy`: another switch
 * held the host's switch lock, so nothing was switched.
 */
export const OUTCOMES = [
  'ok',
  'failed',
  'skipped',
  'interrupted',
  'rolled-back',
  'unreachable',
  'degraded',
  'needs-reboot',
  'busy',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Outcomes that fail the run (exit 1) and count against `--max-failed`. */
export function isFailure(outcome: Outcome): boolean {
  return ['failed', 'rolled-back', 'unreachable', 'degraded', 'busy'].includes(outcome);
}

/** Outcomes after which the steps that depend on this one still run (the new system is in place). */
export function letsDependentsRun(outcome: Outcome): boolean {
  return outcome === 'ok' || outcome === 'degraded' || outcome === 'needs-reboot';
}

/** Outcomes of a run that did what was asked (`needs-reboot`: done; the host applies it at its next boot). */
export function isSuccess(outcome: Outcome): boolean {
  return outcome === 'ok' || outcome === 'needs-reboot';
}

export interface StepSummary {
  id: string;
  kind: StepKind;
  label: string;
  /** The instance (or store URI) the step works on; undefined for build/sign. */
  target: string | undefined;
  outcome: Outcome;
  reason: string | undefined;
  durationMs: number;
}

export interface InstanceReport {
  instance: string;
  system: string;
  outcome: Outcome;
  /** The step that failed or was skipped, if any. */
  step: string | undefined;
  reason: string | undefined;
  durationMs: number;
  /** Its new system changes the kernel, initrd or modules of the booted one: reboot to run them. */
  needsReboot?: boolean;
  /** The units that failed when the new system was activated (outcome `degraded`, or rolled back for it). */
  failedUnits?: string[];
}

export interface DeployReport {
  runId: string;
  goal: string;
  ok: boolean;
  interrupted: boolean;
  durationMs: number;
  logDir: string;
  systems: Record<string, { outPath: string | undefined }>;
  instances: InstanceReport[];
  steps: StepSummary[];
  /** Set when hive.state could not be saved at the end (the reason, with its errno). */
  stateError?: string;
}

export type HiveEvent =
  | { kind: 'plan'; runId: string; plan: Plan; logDir: string }
  | { kind: 'step-start'; step: string; stepKind: StepKind; label: string; target: string | undefined }
  | { kind: 'step-log'; step: string; target: string | undefined; stream: 'stdout' | 'stderr'; line: string }
  | {
      kind: 'step-end';
      step: string;
      stepKind: StepKind;
      label: string;
      target: string | undefined;
      outcome: Outcome;
      reason: string | undefined;
      durationMs: number;
      /** The last lines of a failed step's output. */
      tail: string[];
    }
  | { kind: 'message'; level: 'info' | 'warn'; text: string }
  | { kind: 'report'; report: DeployReport };

export type EventSink = (event: HiveEvent) => void;

/** Fan one event out to several consumers. */
export function teeSinks(...sinks: EventSink[]): EventSink {
  return (e) => {
    for (const s of sinks) s(e);
  };
}
