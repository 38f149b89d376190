// The pure planner: inventory + targets + options → a DAG of build, sign, copy and activate steps.
// Each system is built once; each closure goes once to each store a target uses (store-of-a-store
// first); an instance's copy waits for its store's copy; activation waits for its own copy and for
// the activation of any targeted instance it depends on (its store or via, transitively). A store activates
// once it holds what it serves and before the copies that pull from it start (storeActivatesFirst); a relay
// parent below it activates once the copies it feeds ended (servedCopies). All are orderings only.
import type { ResolvedHive, ResolvedInstance, StoreRef } from '../inventory/types.ts';
import { DEFAULT_RELAY_FANOUT, planRelays } from './relay.ts';
import { orderSteps } from './order.ts';
import { placeOnBuildHosts } from './build-host.ts';
import type { ActivateStep, CopyStep, Destination, Plan, PlanOptions, Step } from './types.ts';
import { planWaves, wavesWanted } from './waves.ts';
import { withKeySteps } from './keys.ts';
import {
  chooseDistribution,
  groupKey,
  groupOf,
  planDistribution,
  PUSH_MAX_NEW_BYTES,
} from './distribution.ts';

export const stepId = {
  build: (system: string) => `build:${system}`,
  sign: (system: string) => `sign:${system}`,
  copy: (system: string, to: Destination) => `copy:${system}>${to.kind === 'instance' ? to.name : to.uri}`,
  activate: (instance: string) => `activate:${instance}`,
};

function storeDestination(store: StoreRef): Destination {
  return store.kind === 'instance' ? { kind: 'instance', name: store.name } : { kind: 'uri', uri: store.uri };
}

function instanceOf(hive: ResolvedHive, name: string): ResolvedInstance {
  const i = hive.instances[name];
  if (!i) throw new Error(`plan: unknown instance ${name}`);
  return i;
}

export function planDeploy(hive: ResolvedHive, targets: string[], options: PlanOptions): Plan {
  const systems: string[] = [];
  const seenSystems = new Set<string>();
  for (const t of targets) {
    const s = instanceOf(hive, t).system;
    if (!seenSystems.has(s)) {
      seenSystems.add(s);
      systems.push(s);
    }
  }

  const builds: Step[] = [];
  const signs: Step[] = [];
  const ready = new Map<string, string>(); // system → id of the step after which its closure is final
  for (const s of systems) {
    const cached = options.evalCached?.includes(s) ? { evalCached: true as const } : {};
    builds.push({ id: stepId.build(s), kind: 'build', system: s, deps: [], ...cached });
    ready.set(s, stepId.build(s));
    if (hive.signingKey) {
      signs.push({ id: stepId.sign(s), kind: 'sign', system: s, deps: [stepId.build(s)] });
      ready.set(s, stepId.sign(s));
    }
  }

  const copies: CopyStep[] = [];
  const copyIds = new Set<string>();
  // Iterative (no recursion limit on long store chains): push the chain, then emit store-first.
  const ensureCopy = (system: string, to: Destination): string => {
    const chain: Array<{ to: Destination; from: Destination | undefined }> = [];
    let cur: Destination | undefined = to;
    while (cur && !copyIds.has(stepId.copy(system, cur))) {
      const store: StoreRef | undefined =
        cur.kind === 'instance' ? instanceOf(hive, cur.name).store : undefined;
      const from: Destination | undefined = store ? storeDestination(store) : undefined;
      chain.push({ to: cur, from });
      copyIds.add(stepId.copy(system, cur));
      cur = from;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const { to: dest, from } = chain[i]!;
      const deps = [ready.get(system)!];
      const step: CopyStep = { id: stepId.copy(system, dest), kind: 'copy', system, to: dest, from, deps };
      // With --allow-direct a failed store only orders its dependents; they are then pushed to directly.
      if (from && options.allowDirect) step.after = [stepId.copy(system, from)];
      else if (from) deps.push(stepId.copy(system, from));
      copies.push(step);
    }
    return stepId.copy(system, to);
  };

  // With `--no copy` the copy steps stay in the plan: the runner skips each one that hive.state
  // says is done, and copies anyway (saying why) where it cannot tell.
  const targetSet = new Set(targets);
  const activations: ActivateStep[] = [];
  for (const t of targets) {
    const inst = instanceOf(hive, t);
    const copied = ensureCopy(inst.system, { kind: 'instance', name: t });
    if (options.skip.activate) continue;
    const deps = [copied];
    for (const up of upstreamTargets(hive, inst, targetSet)) deps.push(stepId.activate(up));
    activations.push({
      id: stepId.activate(t),
      kind: 'activate',
      instance: t,
      system: inst.system,
      goal: options.goal,
      deps,
    });
  }

  const fanout = options.relayFanout ?? DEFAULT_RELAY_FANOUT;
  // A small change is pushed from here (distribution.ts): its copies take no part in a relay tree.
  const pushMax = options.pushBelow ?? PUSH_MAX_NEW_BYTES;
  if (options.newBytes) {
    const sizes = new Map<string, number>();
    for (const c of copies) {
      const key = groupOf(c);
      if (key !== undefined) sizes.set(key, (sizes.get(key) ?? 0) + 1);
    }
    for (const c of copies) {
      const key = groupOf(c);
      const newBytes = options.newBytes[c.system];
      if (key === undefined || newBytes === undefined) continue;
      const instances = sizes.get(key)!;
      if (chooseDistribution({ newBytes, instances, otherwise: 'star', pushMax }).mode === 'push')
        c.push = true;
    }
  }
  const trees = planRelays(
    hive,
    copies.filter((c) => !c.push),
    fanout,
    (s, name) => stepId.copy(s, { kind: 'instance', name }),
  );
  const distribution = planDistribution(hive, copies, {
    relayFanout: fanout,
    pushMax,
    newBytes: options.newBytes,
    relayed: new Set(trees.map((t) => groupKey(t.system, t.store))),
  });
  placeOnBuildHosts(hive, [...builds, ...signs, ...copies]);
  const served = servedCopies(hive, copies);
  for (const a of activations) {
    const ids = served.get(a.instance);
    if (ids) a.after = ids;
  }
  if (!options.skip.activate && !options.copiesFirst) storeActivatesFirst(copies, targetSet);
  const ordered = orderActivations(activations);
  const waves = wavesWanted(options.waves)
    ? planWaves(
        ordered.map((a) => a.instance),
        options.waves!,
      )
    : undefined;
  const byInstance = new Map(ordered.map((a) => [a.instance, a]));
  waves?.waves.forEach((w, k) => w.forEach((name) => (byInstance.get(name)!.wave = k)));
  return {
    goal: options.goal,
    targets: [...targets],
    systems,
    skip: { ...options.skip },
    // Every step after its deps and orderings, so the plan reads in the order it can run.
    steps: orderSteps(withKeySteps(hive, targets, options, [...builds, ...signs, ...copies, ...ordered])),
    relay: { fanout, trees },
    ...(distribution.length ? { distribution } : {}),
    ...(waves ? { waves } : {}),
  };
}

/** The store a copy substitutes from when it pulls (star, or a relay tree's first round), if an instance. */
function storeOf(c: CopyStep): string | undefined {
  return c.from?.kind === 'instance' ? c.from.name : undefined;
}

/**
 * The copies each instance's activation waits for, by instance (in plan order): those it feeds as a relay
 * parent below a store, so its switch never competes with them for the host's disk, CPU and NIC, nor restarts
 * the sshd or nix-daemon they pull through; and, on a store, the other systems coming in that it holds for
 * its instances, so its switch never restarts the nix-daemon a push into it goes through. A store serves
 * nobody while it activates: it does so first (storeActivatesFirst). The runner drops the copies that turned
 * out pushed or pulled from the store instead (deploy/activate/served-first.ts). One pass over the copies,
 * so planning stays linear in the instances.
 */
export function servedCopies(hive: ResolvedHive, copies: readonly CopyStep[]): Map<string, string[]> {
  const served = new Map<string, string[]>();
  const add = (name: string, id: string) => {
    const ids = served.get(name);
    if (ids) ids.push(id);
    else served.set(name, [id]);
  };
  for (const c of copies) {
    if (c.relay && c.relay.parent !== storeOf(c)) add(c.relay.parent, c.id);
    if (c.to.kind === 'instance' && hive.instances[c.to.name]?.system !== c.system) add(c.to.name, c.id);
  }
  return served;
}

/**
 * Every copy behind a targeted store starts after the store's activation ended (ordering only), so the store
 * switches and is confirmed over a new connection before anything pulls from it: nothing it serves competes
 * with its switch, and a store that failed or rolled back has not fed copies to instances that will be
 * skipped. The runner keeps the ordering only for a copy that really pulls from the store (the star, a relay
 * tree's first round); one pushed from here (planned so, or so decided) or relayed from another host does not wait.
 */
export function storeActivatesFirst(copies: readonly CopyStep[], targets: ReadonlySet<string>): void {
  for (const c of copies) {
    const store = c.push ? undefined : storeOf(c);
    if (store !== undefined && targets.has(store)) c.after = [...(c.after ?? []), stepId.activate(store)];
  }
}

/**
 * The nearest targeted instances this one depends on: walking its store and via chains, the first
 * instance on each chain that is itself a target (the rest are ordered through that one).
 */
export function upstreamTargets(hive: ResolvedHive, inst: ResolvedInstance, targets: Set<string>): string[] {
  const out: string[] = [];
  const walk = (start: string | undefined, next: (i: ResolvedInstance) => string | undefined) => {
    const seen = new Set<string>([inst.name]); // cycles are rejected by the inventory; this is a guard
    let name = start;
    while (name !== undefined && !seen.has(name)) {
      seen.add(name);
      if (targets.has(name)) {
        if (!out.includes(name)) out.push(name);
        return;
      }
      const i = hive.instances[name];
      if (!i) return;
      name = next(i);
    }
  };
  walk(inst.store?.kind === 'instance' ? inst.store.name : undefined, (i) =>
    i.store?.kind === 'instance' ? i.store.name : undefined,
  );
  walk(inst.via, (i) => i.via);
  return out;
}

/** Activations in dependency order, keeping target order otherwise (depth-first, iterative). */
function orderActivations(steps: ActivateStep[]): ActivateStep[] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const done = new Set<string>();
  const out: ActivateStep[] = [];
  for (const root of steps) {
    const stack: Array<{ step: ActivateStep; i: number }> = [{ step: root, i: 0 }];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (done.has(top.step.id)) {
        stack.pop();
        continue;
      }
      const dep = top.step.deps[top.i++];
      if (dep === undefined) {
        done.add(top.step.id);
        out.push(top.step);
        stack.pop();
      } else {
        const d = byId.get(dep);
        if (d && !done.has(d.id) && !stack.some((f) => f.step.id === d.id)) stack.push({ step: d, i: 0 });
      }
    }
  }
  return out;
}
