// The pure planner: inventory + targets + options → a DAG of build, sign, copy and activate steps.
// Each system is built once; each closure goes once to each store a target uses (store-of-a-store
// first); an instance's copy waits for its store's copy; activation waits for its own copy and for
// the activation of any targeted instance it depends on (its store or via, transitively). A host that serves
// copies (a store, a relay parent) activates once those copies ended (ordering only: servedCopies).
import type { ResolvedHive, ResolvedInstance, StoreRef } from '../inventory/types.ts';
import { DEFAULT_RELAY_FANOUT, orderCopies, planRelays } from './relay.ts';
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
  const served = servedCopies(copies);
  for (const a of activations) {
    const ids = served.get(a.instance);
    if (ids) a.after = ids;
  }
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
    steps: withKeySteps(hive, targets, options, [...builds, ...signs, ...orderCopies(copies), ...ordered]),
    relay: { fanout, trees },
    ...(distribution.length ? { distribution } : {}),
    ...(waves ? { waves } : {}),
  };
}

/**
 * The copies each instance serves, by instance (in plan order): those relayed from it, and those that
 * substitute from it (it is their store) unless relayed from another host (a group with a relay tree is
 * relayed or pushed, never the star). Its activation waits for them to end, so a switch never competes with
 * them for the host's disk, CPU and NIC, nor restarts the sshd or nix-daemon they pull through. Store-first
 * still holds (the instances behind it activate after it), and a host that serves nothing (the copies pushed
 * from the deployer) does not wait: the runner drops the copies that turned out pushed
 * (deploy/activate/served-first.ts). One pass over the copies, so planning stays linear in the instances.
 */
export function servedCopies(copies: readonly CopyStep[]): Map<string, string[]> {
  const served = new Map<string, string[]>();
  for (const c of copies) {
    const server = c.relay ? c.relay.parent : c.from?.kind === 'instance' ? c.from.name : undefined;
    if (server === undefined) continue;
    const ids = served.get(server);
    if (ids) ids.push(c.id);
    else served.set(server, [c.id]);
  }
  return served;
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
