// Who waits for whom around a host that serves copies, as the run decided each copy's mode (the plan's orderings,
// plan/plan.ts, narrowed here): a store activates once it holds what it serves and before the copies that pull
// from it start (storeActivatesFirst), a relay parent below it once the copies it feeds ended (servedCopies). A
// copy pushed from the deployer pulls from no one, and one relayed from another host (or, in the star, from its
// store) does not load this one. Orderings only: a failed step never holds back or skips the other.
import { stepId } from '../../plan/plan.ts';
import type { ActivateStep, CopyStep, Step } from '../../plan/types.ts';
import type { Mode } from '../copy/distribution.ts';

type ModeOf = (copy: CopyStep) => Promise<Mode | undefined> | undefined;
/** The mode of the group of `system` behind the store `store` (undefined: no such group). */
type ModeBehind = (system: string, store: string) => Promise<Mode | undefined> | undefined;

/** Who a copy pulls from in `mode` (undefined: it is pushed, or has no store). */
export function servedBy(copy: CopyStep, mode: Mode | undefined): string | undefined {
  if (mode === 'push') return undefined;
  if (copy.relay && mode !== 'star') return copy.relay.parent;
  return copy.from?.kind === 'instance' ? copy.from.name : undefined;
}

/**
 * The activation's orderings kept: the copies its instance serves in the mode each turned out to have, and the
 * systems coming into it that its instances will pull from it (not those pushed to them from here: a store
 * then activates without waiting for them).
 */
export async function servedOrderings(
  step: ActivateStep,
  stepsById: ReadonlyMap<string, Step>,
  modeOf: ModeOf,
  modeBehind: ModeBehind = () => undefined,
): Promise<string[] | undefined> {
  if (!step.after?.length) return step.after;
  const kept: string[] = [];
  for (const id of step.after) {
    const copy = stepsById.get(id);
    if (copy?.kind !== 'copy') {
      kept.push(id);
      continue;
    }
    // Coming into it (a system it holds for others), or served by it in the mode decided.
    if (copy.to.kind === 'instance' && copy.to.name === step.instance) {
      const held = await modeBehind(copy.system, step.instance)?.catch(() => undefined);
      if (held !== 'push') kept.push(id);
      continue;
    }
    const mode = await modeOf(copy)?.catch(() => undefined);
    if (servedBy(copy, mode) === step.instance) kept.push(id);
  }
  return kept;
}

/**
 * The copy's orderings kept: its store's activation only when it pulls from that store in the mode decided;
 * pushed from here, only its store's copy (`--allow-direct`), as the push does not go through the store.
 */
export async function copyOrderings(step: CopyStep, modeOf: ModeOf): Promise<string[] | undefined> {
  if (!step.after?.length) return step.after;
  const mode = await modeOf(step)?.catch(() => undefined);
  const server = servedBy(step, mode);
  const storeCopy = step.from && stepId.copy(step.system, step.from);
  return step.after.filter((id) =>
    id.startsWith('activate:')
      ? server !== undefined && id === stepId.activate(server)
      : mode !== 'push' || id === storeCopy,
  );
}
