// Renders a plan as text (for `deploy --dry-run`) or as a JSON-ready object (`--json`).
import type { Plan, Step } from './types.ts';
import { destinationName } from './types.ts';
import { renderRelayTrees } from './relay-render.ts';
import { renderDistribution } from './distribution.ts';

/** A step's label; `direct`: a copy that pushed from here instead of substituting (`--allow-direct`). */
export function describeStep(step: Step, how: { direct?: boolean; pushed?: boolean } = {}): string {
  switch (step.kind) {
    case 'build':
      return `build ${step.system}${step.on ? `@${step.on}` : ''}${step.evalCached ? ' (derivation from the evaluation cache)' : ''}`;
    case 'sign':
      return `sign ${step.system}${step.on ? `@${step.on}` : ''} (whole closure)`;
    case 'copy':
      if (step.by) return `copy ${step.system} ${step.by} → ${destinationName(step.to)}`;
      if (how.direct)
        return `copy ${step.system} → ${destinationName(step.to)} (pushed from here, --allow-direct)`;
      if (step.push || how.pushed)
        return `copy ${step.system} → ${destinationName(step.to)} (pushed from here: a small change)`;
      if (step.relay && step.from)
        return `copy ${step.system} → ${destinationName(step.to)} (relayed from ${step.relay.parent}, round ${step.relay.round}; else from ${destinationName(step.from)})`;
      return step.from
        ? `copy ${step.system} → ${destinationName(step.to)} (substitutes from ${destinationName(step.from)})`
        : `copy ${step.system} → ${destinationName(step.to)}`;
    case 'activate':
      return `activate ${step.instance} (${step.goal})`;
    case 'keys': {
      const keys = step.keys.map((k) => `${k.name} → ${k.path}`);
      if (step.owners) keys.push(`owner of ${step.owners.map((k) => k.name).join(', ')} if staged`);
      return `keys → ${step.instance} (${step.uploadAt}): ${keys.join(', ')}`;
    }
  }
}

export function renderPlanText(plan: Plan): string {
  const off = Object.entries(plan.skip)
    .filter(([, v]) => v)
    .map(([k]) => k);
  const lines = [
    `plan: goal ${plan.goal}, ${plan.targets.length} instance(s), ${plan.systems.length} system(s), ${plan.steps.length} step(s)` +
      (off.length ? `, skipping ${off.join(', ')}` : ''),
    `targets: ${plan.targets.join(' ')}`,
  ];
  const index = new Map(plan.steps.map((s, i) => [s.id, i + 1]));
  const width = String(plan.steps.length).length;
  for (const [i, s] of plan.steps.entries()) {
    const after = [...s.deps, ...(s.after ?? [])]
      .map((d) => index.get(d))
      .filter((n): n is number => n !== undefined);
    lines.push(
      `${String(i + 1).padStart(width)}. ${describeStep(s)}${after.length ? `  [after ${after.join(', ')}]` : ''}`,
    );
  }
  if (plan.waves) {
    const w = plan.waves;
    lines.push(
      `waves: ${w.waves.length}, stop after ${w.maxFailed} failed or rolled-back host(s)${w.pauseS ? `, ${w.pauseS}s pause between waves` : ''}`,
    );
    for (const [k, names] of w.waves.entries())
      lines.push(`  wave ${k + 1}${k === 0 && w.canary ? ' (canary)' : ''}: ${names.join(' ')}`);
  }
  lines.push(...renderRelayTrees(plan));
  lines.push(...renderDistribution(plan.distribution));
  return lines.join('\n') + '\n';
}

export function planToJson(plan: Plan): unknown {
  return {
    goal: plan.goal,
    targets: plan.targets,
    systems: plan.systems,
    skip: plan.skip,
    steps: plan.steps,
    ...(plan.waves ? { waves: plan.waves } : {}),
    relay: plan.relay ?? { fanout: 0, trees: [] },
    ...(plan.distribution ? { distribution: plan.distribution } : {}),
  };
}
