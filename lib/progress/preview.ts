// `--goal dry-activate` is a preview: what each activation would do is the point of the run, so its
// output is collected from the event stream and shown after the summary, with or without `-v`.
import { isPreview } from '../nix/goal.ts';
import type { HiveEvent } from './events.ts';

export function collectPreview(): { sink: (e: HiveEvent) => void; render(): string } {
  /** Activation step id → its instance, when the goal is a preview. */
  const activations = new Map<string, string>();
  const lines = new Map<string, string[]>();
  return {
    sink: (e) => {
      if (e.kind === 'plan' && isPreview(e.plan.goal)) {
        for (const s of e.plan.steps) if (s.kind === 'activate') activations.set(s.id, s.instance);
      } else if (e.kind === 'step-log' && activations.has(e.step)) {
        const instance = activations.get(e.step)!;
        if (!lines.has(instance)) lines.set(instance, []);
        lines.get(instance)!.push(e.line);
      }
    },
    render: () =>
      [...lines]
        .map(([instance, out]) => `\n--- dry-activate on ${instance} ---\n${out.join('\n')}\n`)
        .join(''),
  };
}
