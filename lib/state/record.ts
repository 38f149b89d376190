// Keeps hive.state in step with a deploy: every step's end updates the instance (or system) it was
// about, and asks for a (coalesced, atomic) save. Also answers what `--no build` / `--no copy` may reuse.
import type { Step } from '../plan/types.ts';
import type { Outcome } from '../progress/events.ts';
import type { StateFile } from './store.ts';
import type { InstanceState, StepName } from './types.ts';

/** How many received system paths to remember per instance (a store host receives several systems). */
const RECEIVED_KEPT = 16;

export interface StepEnd {
  step: Step;
  outcome: Outcome;
  reason: string | undefined;
  /** The system path the step was about, when known. */
  path: string | undefined;
}

export class StateRecorder {
  constructor(
    private readonly file: StateFile,
    private readonly runId: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private instance(name: string, system: string): InstanceState {
    const all = this.file.state.instances;
    const at = this.now().toISOString();
    return (all[name] ??= {
      system,
      target: undefined,
      outcome: 'skipped',
      steps: {},
      runId: this.runId,
      at,
    });
  }

  /** Called for every target when the run starts: until its steps end, it counts as not done. */
  started(name: string, system: string): void {
    const i = this.instance(name, system);
    Object.assign(i, {
      system,
      targeted: true,
      outcome: 'skipped',
      reason: 'not finished',
      runId: this.runId,
      at: this.now().toISOString(),
    });
    this.file.save();
  }

  recordBuild(system: string, outPath: string, drvPath: string | undefined, fingerprint: string): void {
    this.file.state.systems[system] = { outPath, drvPath, fingerprint, builtAt: this.now().toISOString() };
    this.file.save();
  }

  stepEnded(end: StepEnd, isTarget: (instance: string) => boolean): void {
    const { step } = end;
    const at = this.now().toISOString();
    const rec = { outcome: end.outcome, path: end.path, at, ...(end.reason ? { reason: end.reason } : {}) };
    const touch = (name: string, kind: StepName) => {
      const i = this.instance(name, step.system);
      if (kind === 'copy' && end.outcome === 'ok' && end.path) {
        i.received = [end.path, ...(i.received ?? []).filter((p) => p !== end.path)].slice(0, RECEIVED_KEPT);
      }
      if (!isTarget(name)) return; // a store host that is not a target only records what it received
      i.steps[kind] = rec;
      i.target = end.path ?? i.target;
      i.system = step.system;
      i.runId = this.runId;
      i.at = at;
      if (end.outcome !== 'ok') {
        i.outcome = end.outcome;
        i.reason = end.reason;
      }
    };
    if (step.kind === 'copy' && step.to.kind === 'instance') touch(step.to.name, 'copy');
    if (step.kind === 'activate') touch(step.instance, 'activate');
    this.file.save();
  }

  /** A target whose steps all succeeded. */
  succeeded(name: string): void {
    const i = this.file.state.instances[name];
    if (!i) return;
    i.outcome = 'ok';
    delete i.reason;
    this.file.save();
  }

  failedOrSkipped(name: string, outcome: Outcome, reason: string | undefined): void {
    const i = this.file.state.instances[name];
    if (!i) return;
    i.outcome = outcome;
    i.reason = reason;
    this.file.save();
  }
}

/** Did the state see `instance` receive `path`? (`--no copy` trusts this.) */
export function stateSaysReceived(file: StateFile | undefined, instance: string, path: string): boolean {
  return file?.state.instances[instance]?.received?.includes(path) ?? false;
}

/** Whether a run ever targeted the instance (entries written before `targeted` existed: it has step records). */
function wasTargeted(i: InstanceState): boolean {
  return i.targeted ?? (Object.keys(i.steps).length > 0 || i.reason !== undefined);
}

/** Instances that were targeted and whose last deploy did not succeed (`deploy --failed`). */
export function failedInstances(file: StateFile): string[] {
  return Object.entries(file.state.instances)
    .filter(([, i]) => i.outcome !== 'ok' && wasTargeted(i))
    .map(([n]) => n)
    .sort();
}
