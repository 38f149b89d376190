// A host that serves copies activates once they ended (plan/plan.ts servedCopies), counting only the copies it
// really serves as the run decided them: a copy pushed from the deployer pulls from no one, and one relayed from
// another host (or, in the star, from its store) does not load this one. Ordering only: a failed copy never
// holds back the activation of the host it was served by.
import type { ActivateStep, CopyStep, Step } from '../../plan/types.ts';
import type { Mode } from '../copy/distribution.ts';

/** Who a copy pulls from in `mode` (undefined: it is pushed, or has no store). */
export function servedBy(copy: CopyStep, mode: Mode | undefined): string | undefined {
  if (mode === 'push') return undefined;
  if (copy.relay && mode !== 'star') return copy.relay.parent;
  return copy.from?.kind === 'instance' ? copy.from.name : undefined;
}

/** The activation's orderings kept: the copies its instance serves in the mode each turned out to have. */
export async function servedOrderings(
  step: ActivateStep,
  stepsById: ReadonlyMap<string, Step>,
  modeOf: (copy: CopyStep) => Promise<Mode | undefined> | undefined,
): Promise<string[] | undefined> {
  if (!step.after?.length) return step.after;
  const kept: string[] = [];
  for (const id of step.after) {
    const copy = stepsById.get(id);
    if (copy?.kind !== 'copy') {
      kept.push(id);
      continue;
    }
    const mode = await modeOf(copy)?.catch(() => undefined);
    if (servedBy(copy, mode) === step.instance) kept.push(id);
  }
  return kept;
}
