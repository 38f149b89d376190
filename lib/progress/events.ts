// The events core code emits. Renderers (listr2, plain lines, JSON lines) and the log writer consume
// them; nothing under lib/ prints. A union tagged by `kind`.
import type { Plan, StepKind } from '../plan/types.ts';

/** `rolled-back`: the host was returned to its previous system; `unreachable`: it did not come back in time. */
export type Outcome = 'ok' | 'failed' | 'skipped' | 'interrupted' | 'rolled-back' | 'unreachable';

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
