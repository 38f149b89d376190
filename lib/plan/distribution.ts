// How a closure reaches the instances behind a store (pure): push, star or relay, chosen from its new bytes.
// A small change is pushed from here over each instance's own deploy connection (no pull from the store, no
// relay round: per host that saves a new ssh connection to the store, the substituter preflight and the relay
// grants, which cost more than the bytes). A large one is pulled from the store (the star) or passed on by the
// relay tree, so it crosses the deployer's uplink once. New bytes are what an instance lacks of the closure;
// when the plan is made before the build they are not known yet, and the deploy decides with this same
// function once it has built and asked (see deploy/copy/distribution.ts).
import type { ResolvedHive } from '../inventory/types.ts';
import type { CopyStep } from './types.ts';
import { destinationName } from './types.ts';

export type DistributionMode = 'push' | 'star' | 'relay';

/** Push when an instance lacks at most this many bytes of the closure (`--push-below`)… */
export const PUSH_MAX_NEW_BYTES = 2 * 1024 * 1024;
/**
 * …and more instances than this share the store: there the per-host costs of a pull add up. Below it a pull
 * costs a few seconds in all, keeps one copy of the closure on the uplink and has each host's Nix check the
 * hive key's signatures as it substitutes, so it stays.
 */
export const PUSH_MIN_INSTANCES = 8;
/** …and all the instances behind the store together at most this many (the deployer's uplink carries them). */
export const PUSH_MAX_TOTAL_BYTES = 1024 * 1024 * 1024;

/** The choice for the instances of one system behind one store. */
export interface Distribution {
  system: string;
  /** The store (instance name or URI) the instances substitute from. */
  store: string;
  instances: number;
  /** `by-size`: new bytes not known when planned; push when small, else `otherwise`. */
  mode: DistributionMode | 'by-size';
  /** What a large closure gets: the relay tree when the plan has one for this group, else the star. */
  otherwise: 'star' | 'relay';
  /** Bytes an instance lacks, when known. */
  newBytes?: number;
  /** The push limit in force (`--push-below`; 0 = never). */
  pushMax: number;
  why: string;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} B`;
}

/** The mode for `newBytes` per instance (undefined: not known yet) and why. */
export function chooseDistribution(input: {
  newBytes: number | undefined;
  instances: number;
  otherwise: 'star' | 'relay';
  /** Why a large closure gets the star rather than the relay, when it does. */
  starBecause?: string;
  /** `--push-below` (default PUSH_MAX_NEW_BYTES; 0 = never push). */
  pushMax?: number;
}): { mode: Distribution['mode']; why: string } {
  const { newBytes, instances, otherwise } = input;
  const pushMax = input.pushMax ?? PUSH_MAX_NEW_BYTES;
  const large =
    otherwise === 'relay'
      ? 'the relay tree passes it on, so it crosses the uplink once'
      : `every instance pulls it from the store${input.starBecause ? ` (no relay: ${input.starBecause})` : ''}`;
  if (pushMax <= 0) return { mode: otherwise, why: `never pushed (--push-below 0): ${large}` };
  if (instances <= PUSH_MIN_INSTANCES)
    return { mode: otherwise, why: `${instances} instance(s) ≤ ${PUSH_MIN_INSTANCES}, not pushed: ${large}` };
  if (newBytes === undefined)
    return {
      mode: 'by-size',
      why: `decided once built: pushed from here when an instance lacks ≤ ${formatBytes(pushMax)}, else ${otherwise}: ${large}`,
    };
  const total = newBytes * instances;
  if (newBytes <= pushMax && total <= PUSH_MAX_TOTAL_BYTES)
    return {
      mode: 'push',
      why: `${formatBytes(newBytes)} new per instance ≤ ${formatBytes(pushMax)}: pushed from here over each instance's open connection (no pull from the store, no relay round)`,
    };
  const over =
    newBytes > pushMax
      ? `${formatBytes(newBytes)} new per instance > ${formatBytes(pushMax)}`
      : `${formatBytes(total)} for ${instances} instances > ${formatBytes(PUSH_MAX_TOTAL_BYTES)} through the uplink`;
  return { mode: otherwise, why: `${over}: ${large}` };
}

/** The copies of one group: to instances of `system` that substitute from `store`. */
export function groupKey(system: string, store: string): string {
  return JSON.stringify([system, store]);
}

export function groupOf(step: CopyStep): string | undefined {
  if (step.to.kind !== 'instance' || !step.from || step.by) return undefined;
  return groupKey(step.system, destinationName(step.from));
}

/**
 * One choice per group of copies (system, store), in first-copy order. `relayed`: the groups that have a relay
 * tree; `newBytes`: per system, when known. Groups decided `push` are what planDeploy keeps out of the relay.
 */
export function planDistribution(
  hive: ResolvedHive,
  copies: CopyStep[],
  o: { relayFanout: number; pushMax: number; newBytes?: Record<string, number>; relayed: Set<string> },
): Distribution[] {
  const groups = new Map<string, Distribution>();
  for (const c of copies) {
    const key = groupOf(c);
    if (key === undefined) continue;
    const d = groups.get(key);
    if (d) d.instances++;
    else
      groups.set(key, {
        system: c.system,
        store: destinationName(c.from!),
        instances: 1,
        mode: 'by-size',
        otherwise: o.relayed.has(key) ? 'relay' : 'star',
        pushMax: o.pushMax,
        why: '',
      });
  }
  for (const d of groups.values()) {
    const newBytes = o.newBytes?.[d.system];
    const starBecause =
      o.relayFanout <= 0
        ? 'relay fan-out 0'
        : !hive.signingKey
          ? 'the hive does not sign'
          : d.instances <= o.relayFanout
            ? `${d.instances} instance(s) ≤ fan-out ${o.relayFanout}`
            : undefined;
    const c = chooseDistribution({
      newBytes,
      instances: d.instances,
      otherwise: d.otherwise,
      starBecause,
      pushMax: o.pushMax,
    });
    d.mode = c.mode;
    d.why = c.why;
    if (newBytes !== undefined) d.newBytes = newBytes;
  }
  return [...groups.values()];
}

/** Text lines for `plan` / `deploy --dry-run`. */
export function renderDistribution(ds: Distribution[] | undefined): string[] {
  return (ds ?? []).map(
    (d) => `distribution ${d.system} behind ${d.store} (${d.instances}): ${d.mode}: ${d.why}`,
  );
}
