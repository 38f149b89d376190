// What the step executors share during one deploy, cut by feature: the run (id, hive, plan), local
// processes, the ssh session, the built systems, and one small interface per stage (build, sign, copy,
// activate, keys, state). Each stage's functions take the interfaces they read; `DeployContext`, all of
// them, is made once by deploy.ts and handed to the step dispatcher (run/steps.ts).
import type { EvalChoice } from './build/build-systems.ts';
import type { Spawner, SpawnResult } from '../exec/spawn.ts';
import type { ResolvedHive } from '../inventory/types.ts';
import type { Plan } from '../plan/types.ts';
import type { BuiltSystem } from '../nix/build.ts';
import type { StateFile } from '../state/store.ts';
import type { StateRecorder } from '../state/record.ts';
import type { Transport } from './run/transport.ts';
import type { HiveSigningKey } from './build/signing-key.ts';
import type { RelayRun } from './relay/relay.ts';
import type { DistributionRun } from './copy/distribution.ts';
import type { BuildHostPushes } from './build/build-host.ts';
import type { StagedKeys } from './keys/key-owners.ts';

/** Rollout safety of a deploy (see confirm.ts, checks.ts, reboot.ts). */
export interface RolloutOptions {
  /** Arm the watchdog after `switch`/`test` and roll back on a failed activation or check (`--no-rollback`: off). */
  rollback: boolean;
  /** Roll back a host whose switch left failed units (exit 4) too (`--rollback-on-degraded`). */
  rollbackOnDegraded?: boolean;
  /** Seconds, overriding every instance's `confirmTimeout` (`--confirm-timeout`). */
  confirmTimeoutS?: number;
  /**
   * Reboot after setting the profile (`--reboot`), waiting this long for the host to come back. With `only`
   * (`--reboot=auto`), only those instances take goal boot and reboot (their diff says they need it; filled
   * before the first activation); the others keep the run's goal.
   */
  reboot?: { timeoutS: number; only?: Set<string> };
}

export interface RemoteRunOptions {
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  signal?: AbortSignal;
  /** Run as root: through sudo when the instance's user is not root. */
  root?: boolean;
  /** Text or bytes for the remote command's stdin (a key streamed to the build host, a key upload). */
  input?: string | Uint8Array;
  timeoutMs?: number;
}

/**
 * Runs an argv on an instance (quoted once by the host layer). Resolves whatever the remote exit code;
 * rejects with an SshError when ssh itself failed (unreachable, key mismatch, connection lost).
 */
export type RemoteRunner = (
  instance: string,
  argv: string[],
  options?: RemoteRunOptions,
) => Promise<SpawnResult>;

/** The run itself: its id (in run folders, markers, activation ids), the hive and the plan it carries out. */
export interface RunCtx {
  readonly runId: string;
  readonly hive: ResolvedHive;
  readonly plan: Plan;
}

/** Processes on the deployer: the one spawner, and extra environment for local nix commands (NIX_CONFIG). */
export interface LocalCtx {
  readonly spawn: Spawner;
  readonly nixEnv: Record<string, string | undefined>;
}

/** Commands on instances over the run's ssh session (one ControlMaster per host). */
export interface RemoteCtx {
  readonly remote: RemoteRunner;
}

/** The session as a tool other than ours (`nix copy`) uses it: connections opened first, then NIX_SSHOPTS. */
export interface SessionCtx extends RemoteCtx {
  /** Opens an instance's ssh connection (jump hosts first) before `nix copy` uses it. */
  connect(instance: string, signal?: AbortSignal): Promise<void>;
  /** NIX_SSHOPTS for `nix copy --to ssh://<instance>`: makes nix's ssh use the generated config. */
  readonly nixSshOpts: string;
}

/** Messages for the user that belong to no step (become `message` events). */
export interface SayCtx {
  say(text: string, level?: 'info' | 'warn'): void;
}

/** The systems built (or reused) in this run: filled by the build step, read by sign, copy and activate. */
export interface BuiltCtx {
  readonly built: Map<string, BuiltSystem>;
}

/** The build stage: where GC roots go and how systems are evaluated. */
export interface BuildCtx {
  readonly gcrootDir: string;
  /** Evaluator processes, their memory bound, the evaluation cache. */
  readonly evaluation: EvalChoice;
}

/** The sign stage: the hive's signing key, read only by the steps that sign, and its public half once read. */
export interface SignCtx {
  readonly signingKey: HiveSigningKey | undefined;
  /** `name:base64` public key of the hive's signing key: set by the first sign step. */
  publicKey: string | undefined;
}

/** The cache of earlier runs (`hive.state`), when used: read by `--no build`/`--no copy`, updated per step. */
export interface StateCtx {
  readonly state: StateFile | undefined;
  readonly recorder: StateRecorder | undefined;
}

/** The copy stage: how closures reach their destinations in this run. */
export interface CopyCtx {
  /** Push directly when a dependent is not wired to substitute from its store. */
  readonly allowDirect: boolean;
  /** Copies that pushed from here instead of substituting (`--allow-direct`), by step id: their label says so. */
  readonly directCopies: Set<string>;
  /** Push, star or relay per system behind each store, decided by size (see distribution.ts). */
  distribution?: DistributionRun;
  /** Relay fan-out of this run (absent for the star). */
  relay?: RelayRun;
  /** Pushes from build hosts (`copy www builder → portico`), when the plan has any. */
  buildHost?: BuildHostPushes;
}

/** The activate stage: its bounds, the rollout safety and what it learns per instance. */
export interface ActivateCtx {
  /** How long one activation may take before it counts as failed. */
  readonly activationTimeoutMs: number;
  /** `--specialisation`: what activation runs is `<toplevel>/specialisation/<name>`. */
  readonly specialisation?: string;
  /** Rollout safety; absent = none (no watchdog, no checks). */
  readonly rollout?: RolloutOptions;
  /** A command over a NEW connection (the confirmation); absent on transports without one. */
  readonly fresh?: Transport['fresh'];
  /** How an HTTP check reaches a port of an instance. */
  readonly endpoint?: Transport['endpoint'];
  /** Per instance, what the rollout learned beyond the outcome (needs reboot, the previous system). */
  readonly notes: Map<string, InstanceNotes>;
}

/** The keys stage: pre-activation keys written root:root until the activation creates their owner. */
export interface KeysCtx {
  readonly stagedKeys: StagedKeys;
}

/** Everything of one deploy: made once by deploy.ts, handed to the step dispatcher. */
export interface DeployContext
  extends
    RunCtx,
    LocalCtx,
    SessionCtx,
    SayCtx,
    BuiltCtx,
    BuildCtx,
    SignCtx,
    StateCtx,
    CopyCtx,
    ActivateCtx,
    KeysCtx {}

export interface InstanceNotes {
  /** The new system's kernel, initrd or kernel modules differ from the booted system's. */
  needsReboot?: boolean;
  /** The system the host ran before this activation. */
  previous?: string;
  /** The units that failed when switch-to-configuration activated the new system. */
  failedUnits?: string[];
}

export function outPathOf(ctx: BuiltCtx, system: string): string {
  const b = ctx.built.get(system);
  if (!b) throw new Error(`no build result for system ${system}`);
  return b.outPath;
}
