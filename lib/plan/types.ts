// The plan is data: a DAG of steps that the runner executes and `deploy --dry-run` prints.
import type { Goal } from '../nix/goal.ts';
import type { WaveOptions, Waves } from './waves.ts';
import type { RelayAssignment, RelayTree } from './relay.ts';
import type { Distribution } from './distribution.ts';

/** Where a copy goes: an instance of the hive (over ssh) or a plain Nix store URI. */
export type Destination = { kind: 'instance'; name: string } | { kind: 'uri'; uri: string };

interface StepBase {
  /** Stable id, e.g. `build:www`, `copy:www>portico`, `activate:www-1`. */
  id: string;
  /** Ids of the steps that must succeed first. */
  deps: string[];
  /** Ids of steps that must end first, whatever their outcome (ordering only). */
  after?: string[];
}

export interface BuildStep extends StepBase {
  kind: 'build';
  system: string;
  /** Realised on this build host (an instance) instead of here; see plan/build-host.ts. */
  on?: string;
  /** Its derivation comes from the evaluation cache (its inputs did not change): it is not evaluated. */
  evalCached?: true;
}

export interface SignStep extends StepBase {
  kind: 'sign';
  system: string;
  /** Signed on this build host, where the closure is. */
  on?: string;
}

export interface CopyStep extends StepBase {
  kind: 'copy';
  system: string;
  to: Destination;
  /** The store the destination substitutes from (it must already hold the closure). */
  from: Destination | undefined;
  /** Relayed: pulled from an instance that already holds the closure (falls back to `from`). */
  relay?: RelayAssignment;
  /** Pushed by this build host rather than from here (a copy that substitutes from no store). */
  by?: string;
  /** Pushed from here over the instance's own connection although it has a store: a small change (distribution.ts). */
  push?: boolean;
}

export interface ActivateStep extends StepBase {
  kind: 'activate';
  instance: string;
  system: string;
  goal: Goal;
  /** Its wave (0 = the canary or first), when the rollout has waves. */
  wave?: number;
}

/** Uploads an instance's keys in one remote command: before its copy and activation, or after it. */
export interface KeysStep extends StepBase {
  kind: 'keys';
  instance: string;
  system: string;
  uploadAt: 'pre-activation' | 'post-activation';
  /** Names and destinations only: the content is read when the step runs. */
  keys: Array<{ name: string; path: string }>;
  /**
   * Pre-activation, before an activation that changes the running system: a key whose owner or group does
   * not exist yet is written `root:root` (staged) instead of failing; the activation may create them.
   */
  stageOwners?: boolean;
  /** Post-activation: the pre-activation keys whose owner is set here if they were staged (deploy/keys/key-owners.ts). */
  owners?: Array<{ name: string; path: string }>;
}

export type Step = BuildStep | SignStep | CopyStep | ActivateStep | KeysStep;
export type StepKind = Step['kind'];

export interface PlanOptions {
  goal: Goal;
  /** Steps the user turned off with `--no` (they are left out of the plan, or reuse cached results). */
  skip: { build: boolean; copy: boolean; activate: boolean; keys?: boolean };
  /** A failed store does not skip the instances behind it: they are pushed to directly. */
  allowDirect?: boolean;
  /** Roll out in waves with a failure budget (`--canary`, `--batch`, `--max-failed`, `--pause`). */
  waves?: WaveOptions;
  /** Relay fan-out k (`--relay-fanout`); 0 = the star, every instance substitutes from its store. */
  relayFanout?: number;
  /** Systems whose derivation the evaluation cache holds (looked up by the caller: the plan stays pure). */
  evalCached?: string[];
  /** Push a small change from here up to this many new bytes per instance (default 2 MiB; 0 = never). */
  pushBelow?: number;
  /** Bytes of each system's closure that an instance lacks, when known: push, star or relay is decided now. */
  newBytes?: Record<string, number>;
  /**
   * Every activation waits until all copies ended (`--diff`, `--confirm`, `--reboot=auto`: the diff is read
   * first), so no copy may wait for a store's activation: the stores then activate after the copies.
   */
  copiesFirst?: boolean;
}

export interface Plan {
  goal: Goal;
  targets: string[];
  /** Distinct systems of the targets, in first-target order: each is built once. */
  systems: string[];
  skip: PlanOptions['skip'];
  /** Topologically ordered: every step comes after its deps. */
  steps: Step[];
  /** The activation waves, when asked for. */
  waves?: Waves;
  /** Who feeds whom behind each store (relay fan-out; absent or empty = the star). */
  relay?: { fanout: number; trees: RelayTree[] };
  /** Per system and store: push, star or relay, and why (`by-size`: decided once built). */
  distribution?: Distribution[];
}

export function destinationName(d: Destination): string {
  return d.kind === 'instance' ? d.name : d.uri;
}
