// The relay trees of a plan as text lines for `plan` / `deploy --dry-run`: who feeds whom, and the rounds.
import type { Plan } from './types.ts';

export function renderRelayTrees(plan: Plan): string[] {
  const r = plan.relay;
  if (!r || r.trees.length === 0) return [];
  const lines: string[] = [];
  for (const t of r.trees) {
    const n = t.feeds.reduce((a, f) => a + f.children.length, 0);
    lines.push(
      `relay ${t.system} behind ${t.store} (fan-out ${r.fanout}): ${n} instance(s) in ${t.rounds} round(s)`,
    );
    for (const f of t.feeds) lines.push(`  ${f.parent} → ${f.children.join(' ')}`);
  }
  return lines;
}
