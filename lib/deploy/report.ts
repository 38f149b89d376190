// The deploy's report: per instance, the first of its steps that did not succeed decides the outcome
// (with that step's reason, e.g. `store portico failed: …`); overall ok only when every step was.
import type { ResolvedHive } from '../inventory/types.ts';
import type { Plan } from '../plan/types.ts';
import { isSuccess, type DeployReport, type InstanceReport, type StepSummary } from '../progress/events.ts';

/** Per instance: the first of its steps (build, sign, keys, copy, activate, post keys) that did not succeed decides. */
export function buildReport(
  hive: ResolvedHive,
  plan: Plan,
  results: Map<string, StepSummary>,
  extra: Pick<DeployReport, 'runId' | 'logDir' | 'interrupted' | 'durationMs' | 'systems'>,
): DeployReport {
  const instances: InstanceReport[] = plan.targets.map((name) => {
    const system = hive.instances[name]!.system;
    const ids = [
      `build:${system}`,
      `sign:${system}`,
      `keys:${name}`,
      `copy:${system}>${name}`,
      `activate:${name}`,
      `keys:${name}:post`,
    ];
    const mine = ids.map((id) => results.get(id)).filter((r): r is StepSummary => r !== undefined);
    const bad = mine.find((r) => r.outcome !== 'ok');
    const durationMs = mine.filter((r) => r.target === name).reduce((t, r) => t + r.durationMs, 0);
    return {
      instance: name,
      system,
      outcome: bad ? bad.outcome : 'ok',
      step: bad?.id,
      reason: bad?.reason,
      durationMs,
    };
  });
  const steps = [...results.values()];
  return {
    ...extra,
    goal: plan.goal,
    ok: steps.every((s) => isSuccess(s.outcome)),
    instances,
    steps,
  };
}
