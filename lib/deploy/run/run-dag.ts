// Runs a plan's DAG: each step starts when its deps succeeded, under its concurrency limits; a failed
// step skips everything behind it with the root cause as the reason; an abort stops new work.
import { BusyError, HiveError, RolledBackError, UnreachableError } from '../../errors.ts';
import type { Step } from '../../plan/types.ts';
import { letsDependentsRun, type EventSink, type Outcome, type StepSummary } from '../../progress/events.ts';
import { withAll, type Semaphore } from './semaphore.ts';

export interface StepIO {
  log(stream: 'stdout' | 'stderr', line: string): void;
  signal: AbortSignal;
}

/** What a step that did its work reports beyond `ok` (the host needs a reboot, or some units failed). */
export interface StepResult {
  outcome: 'degraded' | 'needs-reboot';
  reason: string;
}

export interface DagOptions {
  steps: Step[];
  execute(step: Step, io: StepIO): Promise<StepResult | void>;
  limits(step: Step): Semaphore[];
  label(step: Step): string;
  /** The instance or store URI a step works on (for logs and the summary). */
  target(step: Step): string | undefined;
  /** How `dependent`, skipped because `step` failed, names it (`store portico`, `copy to www-2`). */
  blame(step: Step, dependent: Step): string;
  emit: EventSink;
  /** Aborted: start no new step (running ones go on). */
  signal: AbortSignal;
  /** Aborted: running steps are killed (handed to each step as `io.signal`). */
  killSignal?: AbortSignal;
  tailLines?: number;
  /**
   * The deps it needs (default `step.deps`); `wait` awaits some of them first, so a step can learn what it needs
   * (a copy pushed from here needs its system signed, not its store's copy).
   */
  deps?(step: Step, wait: (ids: string[]) => Promise<StepSummary[]>): Promise<string[]>;
  /** The steps it waits for beyond its deps, asked once its deps ended (default: `step.after`). */
  orderings?(step: Step): Promise<string[] | undefined>;
  /** Asked once a step's deps succeeded, before it waits for its limits: a reason skips it (waves). */
  gate?(step: Step): Promise<string | undefined>;
}

function messageOf(err: unknown): string {
  if (err instanceof HiveError && err.hint) return `${err.message} (hint: ${err.hint})`;
  return err instanceof Error ? err.message : String(err);
}

export async function runDag(options: DagOptions): Promise<Map<string, StepSummary>> {
  const { steps, emit, signal } = options;
  const tailLines = options.tailLines ?? 20;
  const byId = new Map(steps.map((s) => [s.id, s]));
  const results = new Map<string, StepSummary>();
  const pending = new Map<string, Promise<StepSummary>>();

  const finish = (
    step: Step,
    outcome: Outcome,
    reason: string | undefined,
    durationMs: number,
    tail: string[],
  ) => {
    const summary: StepSummary = {
      id: step.id,
      kind: step.kind,
      label: options.label(step),
      target: options.target(step),
      outcome,
      reason,
      durationMs,
    };
    results.set(step.id, summary);
    emit({
      kind: 'step-end',
      step: step.id,
      stepKind: step.kind,
      label: summary.label,
      target: summary.target,
      outcome,
      reason,
      durationMs,
      tail,
    });
    return summary;
  };

  const runStep = async (step: Step): Promise<StepSummary> => {
    const waitFor = (ids: string[]) =>
      Promise.all(ids.map((d) => pending.get(d)).filter((p) => p !== undefined));
    const deps = await waitFor(options.deps ? await options.deps(step, waitFor) : step.deps);
    const after = options.orderings ? await options.orderings(step) : step.after;
    await Promise.all((after ?? []).map((d) => pending.get(d)));
    const bad = deps.find((d) => !letsDependentsRun(d.outcome));
    const gated = bad ? undefined : await options.gate?.(step);
    if (gated !== undefined) return finish(step, 'skipped', gated, 0, []);
    if (bad) {
      const badStep = byId.get(bad.id)!;
      if (bad.outcome === 'interrupted') return finish(step, 'interrupted', bad.reason, 0, []);
      const how: Partial<Record<Outcome, string>> = {
        failed: 'failed',
        'rolled-back': 'was rolled back',
        unreachable: 'is unreachable',
        busy: 'found the host busy',
      };
      const verb = how[bad.outcome];
      const reason = verb ? `${options.blame(badStep, step)} ${verb}: ${bad.reason}` : bad.reason;
      return finish(step, 'skipped', reason, 0, []);
    }
    if (signal.aborted) return finish(step, 'interrupted', 'interrupted before it started', 0, []);
    return withAll(options.limits(step), async () => {
      if (signal.aborted) return finish(step, 'interrupted', 'interrupted before it started', 0, []);
      const started = performance.now();
      const tail: string[] = [];
      const target = options.target(step);
      emit({ kind: 'step-start', step: step.id, stepKind: step.kind, label: options.label(step), target });
      const io: StepIO = {
        signal: options.killSignal ?? signal,
        log: (stream, line) => {
          tail.push(line);
          if (tail.length > tailLines) tail.shift();
          emit({ kind: 'step-log', step: step.id, target, stream, line });
        },
      };
      try {
        const r = await options.execute(step, io);
        return r
          ? finish(step, r.outcome, r.reason, performance.now() - started, tail)
          : finish(step, 'ok', undefined, performance.now() - started, []);
      } catch (err) {
        const outcome: Outcome = (options.killSignal ?? signal).aborted
          ? 'interrupted'
          : err instanceof RolledBackError
            ? 'rolled-back'
            : err instanceof UnreachableError
              ? 'unreachable'
              : err instanceof BusyError
                ? 'busy'
                : 'failed';
        return finish(step, outcome, messageOf(err), performance.now() - started, tail);
      }
    });
  };

  // Steps are topologically ordered, so every dep's promise exists before its dependents ask for it.
  for (const step of steps) pending.set(step.id, runStep(step));
  await Promise.all(pending.values());
  return results;
}
