// The relay tree (pure): instances that already hold a closure pass it on to the next ones. Per group of
// copies that substitute from the same store through the same jump host, the store feeds the first k,
// those feed the next k each, and so on, level by level (each level spread evenly over the one before).
// A relay must have pinned host keys (its children pin them) and the hive must sign (children check the
// hive key's signature on every path). Fan-out 0 keeps the star: every instance substitutes from its store.
import type { ResolvedHive } from '../inventory/types.ts';
import type { CopyStep } from './types.ts';
import { destinationName } from './types.ts';

export const DEFAULT_RELAY_FANOUT = 8;

/** One relay tree: who feeds whom behind one store, for one system. */
export interface RelayTree {
  system: string;
  /** The store host (or store URI) at the root. */
  store: string;
  /** Parent → its children, in order; the store's own children come first. */
  feeds: Array<{ parent: string; children: string[] }>;
  /** Depth of the tree: 1 = the store feeds everyone (no relay). */
  rounds: number;
}

export interface RelayAssignment {
  /** The instance the child pulls from. */
  parent: string;
  /** 2 for a child of the store's children, and so on (the store's children are round 1). */
  round: number;
}

/** Rounds a k-ary tree needs for n instances below one store: the smallest r with k + k² + … + k^r ≥ n. */
export function relayRounds(n: number, k: number): number {
  if (n <= 0) return 0;
  if (k <= 0) return 1;
  let rounds = 0;
  let covered = 0;
  let level = 1;
  while (covered < n) {
    level *= k;
    covered += level;
    rounds++;
  }
  return rounds;
}

/** How many children a parent (the store too) feeds at once: ⌈k/2⌉ (see layoutTree). */
export function relayBatch(k: number): number {
  return Math.max(1, Math.ceil(k / 2));
}

/** The layout of one group: who pulls from which relay, and which sibling's copy each one waits for. */
export interface TreeLayout {
  /** Child → its relay (members fed by the store are absent: they substitute from it). */
  relayed: Map<string, RelayAssignment>;
  /** Member → the sibling (same parent, the store included) whose copy it starts after. */
  waits: Map<string, string>;
}

/**
 * Lays out one group in order: the store feeds the first k; each next level (up to k times as wide) goes
 * to the relay-capable members of the level before, at most k children each. Above the last level a
 * parent (the store too) feeds ⌈k/2⌉ children at a time, not all k: sharing its NIC among fewer, the first
 * ones hold the closure sooner and start relaying while it feeds the rest; on the last level it feeds all
 * at once. Each child goes to the parent that would finish feeding it first (in closure-times of a NIC,
 * the store at 0), so the early ones get more children. Members that cannot relay (no pinned host key)
 * are placed last, as leaves.
 */
export function layoutTree(members: string[], k: number, canRelay: (name: string) => boolean): TreeLayout {
  const relayed = new Map<string, RelayAssignment>();
  const waits = new Map<string, string>();
  if (k <= 0 || members.length <= k) return { relayed, waits };
  const batch = relayBatch(k);
  // When a parent holding the closure at `ready` is done feeding its i-th child: full batches share its NIC.
  const done = (ready: number, i: number) => ready + (Math.floor(i / batch) + 1) * batch;
  const ordered = [...members.filter(canRelay), ...members.filter((m) => !canRelay(m))];
  const holds = new Map<string, number>();
  let level = ordered.slice(0, k);
  level.forEach((m, i) => {
    holds.set(m, done(0, i));
    if (i >= batch) waits.set(m, level[i - batch]!);
  });
  let next = k;
  let round = 1;
  while (next < ordered.length) {
    const parents = level.filter(canRelay);
    if (parents.length === 0) break; // the rest substitute from the store
    round++;
    const width = Math.min(parents.length * k, ordered.length - next);
    const fed = new Map<string, string[]>(parents.map((p) => [p, []]));
    // The last level relays no further: a parent feeds all its children there at once (one start-up,
    // its NIC shared by all), as batching only helps children that pass the closure on.
    const last = next + width >= ordered.length;
    const finish = (p: string, n: number) => (last ? holds.get(p)! + n + 1 : done(holds.get(p)!, n));
    for (const child of ordered.slice(next, next + width)) {
      let best: string | undefined;
      for (const p of parents) {
        const n = fed.get(p)!.length;
        if (n < k && (best === undefined || finish(p, n) < finish(best, fed.get(best)!.length))) best = p;
      }
      const siblings = fed.get(best!)!;
      holds.set(child, finish(best!, siblings.length));
      if (!last && siblings.length >= batch) waits.set(child, siblings[siblings.length - batch]!);
      siblings.push(child);
      relayed.set(child, { parent: best!, round });
    }
    next += width;
    // The next level's parents, the soonest to hold the closure first.
    level = ordered.slice(next - width, next).sort((a, b) => holds.get(a)! - holds.get(b)!);
  }
  return { relayed, waits };
}

/**
 * Marks each relayed copy in `copies` with its relay parent and round (in place), and returns the trees.
 * Only copies to an instance that substitutes from a store qualify; they are grouped by system, store
 * and jump host (siblings behind one jump host share its internal network).
 */
export function planRelays(
  hive: ResolvedHive,
  copies: CopyStep[],
  k: number,
  copyId: (system: string, instance: string) => string,
): RelayTree[] {
  if (k <= 0 || !hive.signingKey) return [];
  const groups = new Map<string, CopyStep[]>();
  for (const c of copies) {
    if (c.to.kind !== 'instance' || !c.from) continue;
    const via = hive.instances[c.to.name]?.via ?? '';
    const key = JSON.stringify([c.system, destinationName(c.from), via]);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(c);
  }
  const canRelay = (name: string) => (hive.instances[name]?.hostKeys.length ?? 0) > 0;
  const trees: RelayTree[] = [];
  for (const group of groups.values()) {
    const names = group.map((c) => (c.to as { name: string }).name);
    const { relayed: layout, waits } = layoutTree(names, k, canRelay);
    if (layout.size === 0) continue;
    const first = group[0]!;
    const feeds = new Map<string, string[]>([[destinationName(first.from!), []]]);
    let rounds = 1;
    for (const c of group) {
      const name = (c.to as { name: string }).name;
      const a = layout.get(name);
      const parent = a ? a.parent : destinationName(first.from!);
      if (!feeds.has(parent)) feeds.set(parent, []);
      feeds.get(parent)!.push(name);
      if (a) {
        c.relay = a;
        // Ordering only: a failed relay re-parents its children to the store, it does not skip them.
        c.after = [...(c.after ?? []), copyId(c.system, a.parent)];
        rounds = Math.max(rounds, a.round);
      }
      // Ordering only, too: the parent (or the store) feeds this one once the sibling a batch before is done.
      const sibling = waits.get(name);
      if (sibling !== undefined) c.after = [...(c.after ?? []), copyId(c.system, sibling)];
    }
    trees.push({
      system: first.system,
      store: destinationName(first.from!),
      feeds: [...feeds].filter(([, ch]) => ch.length > 0).map(([parent, children]) => ({ parent, children })),
      rounds,
    });
  }
  return trees;
}
