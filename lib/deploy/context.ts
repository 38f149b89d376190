// What the step executors share during one deploy: the hive, the plan, the built paths, and the
// injected means to run things locally (Spawner) and on instances (RemoteRunner over the ssh session).
import type { EvalChoice } from './build/build-systems.ts';
import type { Spawner, SpawnResult } from '../exec/spawn.ts';
import type { ResolvedHive } from '../inventory/types.ts';
import type { Plan } from '../plan/types.ts';
import type { BuiltSystem } from '../nix/build.ts';
import type { StateFile } from '../state/store.ts';
import type { StateRecorder } from '../state/record.ts';
import type { Transport } from './run/transport.ts';

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
import type { HiveSigningKey } from './build/signing-key.ts';
import type { RelayRun } from './relay/relay.ts';
import type { DistributionRun } from './copy/distribution.ts';
import type { BuildHostPushes } from './build/build-host.ts';
import type { StagedKeys } from './keys/key-owners.ts';

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

export interface DeployContext {
  runId: string;
  /** How long one activation may take before it counts as failed. */
  activationTimeoutMs: number;
  /** `--specialisation`: what activation runs is `<toplevel>/specialisation/<name>`. */
  specialisation?: string;
  hive: ResolvedHive;
  plan: Plan;
  spawn: Spawner;
  remote: RemoteRunner;
  /** Opens an instance's ssh connection (jump hosts first) before `nix copy` uses it. */
  connect(instance: string, signal?: AbortSignal): Promise<void>;
  /** NIX_SSHOPTS for `nix copy --to ssh://<instance>`: makes nix's ssh use the generated config. */
  nixSshOpts: string;
  /** Extra environment for local nix commands (e.g. NIX_CONFIG in tests). */
  nixEnv: Record<string, string | undefined>;
  gcrootDir: string;
  /** How systems are evaluated: evaluator processes, their memory bound, the evaluation cache. */
  evaluation: EvalChoice;
  /** Filled by the build step. */
  built: Map<string, BuiltSystem>;
  /** `name:base64` public key of the hive's signing key: set by the first sign step. */
  publicKey: string | undefined;
  /** The hive's signing key, read only by the steps that sign. */
  signingKey: HiveSigningKey | undefined;
  /** Push directly when a dependent is not wired to substitute from its store. */
  allowDirect: boolean;
  /** The cache of earlier runs, when one is used. */
  state: StateFile | undefined;
  recorder: StateRecorder | undefined;
  /** Copies that pushed from here instead of substituting (`--allow-direct`), by step id: their label says so. */
  directCopies: Set<string>;
  /** A message for the user (not tied to one step). */
  say(text: string, level?: 'info' | 'warn'): void;
  /** Rollout safety; absent = none (no watchdog, no checks). */
  rollout?: RolloutOptions;
  /** A command over a NEW connection (the confirmation); absent on transports without one. */
  fresh?: Transport['fresh'];
  /** How an HTTP check reaches a port of an instance. */
  endpoint?: Transport['endpoint'];
  /** Per instance, what the rollout learned beyond the outcome (needs reboot, the previous system). */
  notes: Map<string, InstanceNotes>;
  /** Push, star or relay per system behind each store, decided by size (see distribution.ts). */
  distribution?: DistributionRun;
  /** Relay fan-out of this run (absent for the star). */
  relay?: RelayRun;
  /** Pushes from build hosts (`copy www builder → portico`), when the plan has any. */
  buildHost?: BuildHostPushes;
  /** Pre-activation keys written root:root until the activation creates their owner. */
  stagedKeys: StagedKeys;
}

export interface InstanceNotes {
  /** The new system's kernel, initrd or kernel modules differ from the booted system's. */
  needsReboot?: boolean;
  /** The system the host ran before this activation. */
  previous?: string;
  /** The units that failed when switch-to-configuration activated the new system. */
  failedUnits?: string[];
}

export function outPathOf(ctx: DeployContext, system: string): string {
  const b = ctx.built.get(system);
  if (!b) throw new Error(`no build result for system ${system}`);
  return b.outPath;
}
