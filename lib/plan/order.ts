// The plan's steps in the order they can run: every step after its deps and its orderings (`after`).
import type { Step } from './types.ts';

/**
 * The steps again in an order where every step comes after its deps and `after` steps: each in its given
 * order, unless something it waits for comes later, which is then placed just before it (a depth-first walk,
 * without recursion, linear in the steps and their edges). Throws on a cycle.
 */
export function orderSteps<S extends Step>(steps: S[]): S[] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const placed = new Set<string>();
  const out: S[] = [];
  for (const root of steps) {
    if (placed.has(root.id)) continue;
    const waits = (s: S) => [...s.deps, ...(s.after ?? [])];
    const stack: Array<{ step: S; next: string[]; i: number }> = [{ step: root, next: waits(root), i: 0 }];
    const onStack = new Set([root.id]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const id = top.next[top.i++];
      if (id === undefined) {
        placed.add(top.step.id);
        onStack.delete(top.step.id);
        out.push(top.step);
        stack.pop();
        continue;
      }
      const d = byId.get(id);
      if (!d || placed.has(id)) continue;
      if (onStack.has(id)) throw new Error(`plan: steps form a cycle at ${id}`);
      onStack.add(id);
      stack.push({ step: d, next: waits(d), i: 0 });
    }
  }
  return out;
}
