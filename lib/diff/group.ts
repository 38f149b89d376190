// Groups instances by the pair (system they run → system they are about to run), so every distinct pair is
// computed once however many instances share it; the order is stable (first instance of each pair first).
import type { InstanceReading } from './types.ts';

export interface Pair {
  from: string;
  to: string;
  systems: string[];
  members: InstanceReading[];
}

export function groupPairs(
  readings: readonly InstanceReading[],
  targetOf: (system: string) => string,
): Pair[] {
  const pairs = new Map<string, Pair>();
  for (const r of readings) {
    if (r.running === null) continue;
    const to = targetOf(r.system);
    const key = `${r.running}\n${to}`;
    let p = pairs.get(key);
    if (!p) pairs.set(key, (p = { from: r.running, to, systems: [], members: [] }));
    if (!p.systems.includes(r.system)) p.systems.push(r.system);
    p.members.push(r);
  }
  return [...pairs.values()];
}
