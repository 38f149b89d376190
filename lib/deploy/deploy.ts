// The deploy pipeline: plan → open one ssh session → run the DAG under limits → report.
// Called by the CLI, the zx task and the bin alike.
import { StagedKeys } from './keys/key-owners.ts';
import type { EvalChoice } from './build/build-systems.ts';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { spawnProcess, type Spawner } from '../exec/spawn.ts';
import type { ResolvedHive } from '../inventory/types.ts';
import type { Goal } from '../nix/goal.ts';
import { planDeploy } from '../plan/plan.ts';
import { groupOf } from '../plan/distribution.ts';
import { describeStep } from '../plan/render.ts';
import type { Plan, Step } from '../plan/types.ts';
import { destinationName } from '../plan/types.ts';
import type { DeployReport, EventSink } from '../progress/events.ts';
import { buildReport } from './report.ts';
import type { CopyCtx, DeployContext } from './context.ts';
import { sshTransport, type Transport } from './run/transport.ts';
import { compressedHosts } from './copy/compress.ts';
import type { SshSessionOptions } from '../ssh/session.ts';
import { runDag } from './run/run-dag.ts';
import { DeployLimits } from './run/limits.ts';
import { relayRun, type RelayRun } from './relay/relay.ts';
import { BuildHostPushes } from './build/build-host.ts';
import { DistributionRun } from './copy/distribution.ts';
import { createStepExecutor } from './run/steps.ts';
import type { StateFile } from '../state/store.ts';
import { StateRecorder } from '../state/record.ts';
import type { RolloutOptions } from './context.ts';
import type { WaveOptions } from '../plan/waves.ts';
import { WaveGate } from './run/wave-gate.ts';
import { HiveSigningKey } from './build/signing-key.ts';
import { ActivationGate } from './activate/activation-gate.ts';
import { copyOrderings, servedOrderings } from './activate/served-first.ts';
import type { RemoteRunner } from './context.ts';

/** What the confirmation before activation is given: the built systems and a way to ask the instances. */
export interface BeforeActivation {
  /** Store path of each system built in this run. */
  built: Record<string, string>;
  remote: RemoteRunner;
  /** Instances whose activation waits for the answer. */
  instances: string[];
}

export interface DeployOptions {
  goal: Goal;
  skip: { build: boolean; copy: boolean; activate: boolean; keys?: boolean };
  allowDirect: boolean;
  /** Concurrency per phase (copies, activations). */
  parallel: number;
  /** How many instances may substitute from one store host at once. */
  storeFanout: number;
  /** Relay fan-out k (`--relay-fanout`, default 8); 0 = the star. */
  relayFanout?: number;
  /** Push a small change from here up to this many new bytes per instance (default 2 MiB; 0 = never). */
  pushBelow?: number;
  emit: EventSink;
  /** Stop starting new steps (first Ctrl-C). */
  signal?: AbortSignal;
  /** Kill running steps (second Ctrl-C, or the grace period ran out). */
  killSignal?: AbortSignal;
  spawn?: Spawner;
  nixEnv?: Record<string, string | undefined>;
  /** Evaluator processes, their memory bound and the evaluation cache (default: CPUs, 2048 MiB, on). */
  evaluation?: EvalChoice;
  runId?: string;
  /** How long one activation may take (default 10 minutes). */
  activationTimeoutMs?: number;
  /** Activate `<toplevel>/specialisation/<name>` (the profile still gets the toplevel). */
  specialisation?: string;
  /** hive.state, opened by the caller; updated after every step and saved atomically. */
  state?: StateFile;
  /** Rollout safety: watchdog and confirmation, checks, reboot (default: rollback on, no reboot). */
  rollout?: RolloutOptions;
  /** Activation waves with a failure budget. */
  waves?: WaveOptions;
  /** Options of the generated ssh session (ConnectTimeout, ServerAlive…). */
  ssh?: Omit<SshSessionOptions, 'spawn'>;
  /** Run this plan instead of planning a deploy (upload-keys runs a plan of keys steps only). */
  plan?: Plan;
  /**
   * Asked once, after every build and copy ended and before any activation (`deploy --diff`, `--confirm`):
   * false skips every activation as `not confirmed`.
   */
  beforeActivation?: (info: BeforeActivation) => Promise<boolean>;
  /** Opens the transport to instances; defaults to the generated ssh session. */
  connect?: (
    hive: ResolvedHive,
    spawn: Spawner,
    ssh?: Omit<SshSessionOptions, 'spawn'>,
  ) => Promise<Transport>;
}

/** A run id: the UTC time to the second, then random hex, so two runs started in one second never share one. */
export function newRunId(now = new Date()): string {
  const time = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${time}-${randomBytes(6).toString('hex')}`;
}

function stepTarget(step: Step): string | undefined {
  if (step.kind === 'copy') return destinationName(step.to);
  if (step.kind === 'activate' || step.kind === 'keys') return step.instance;
  return undefined;
}

/** How a step skipped because `step` failed names it: a store for what substitutes from it, else the copy. */
function blame(step: Step, dependent: Step): string {
  switch (step.kind) {
    case 'build':
      return `build ${step.system}`;
    case 'sign':
      return `sign ${step.system}`;
    case 'copy': {
      const to = destinationName(step.to);
      const own = dependent.kind === 'activate' ? dependent.instance : stepTarget(dependent);
      return own === to ? `copy to ${to}` : `store ${to}`;
    }
    case 'activate':
      return step.instance;
    case 'keys':
      return `keys of ${step.instance}`;
  }
}

/** A copy pushed from here (a small change) needs its system built and signed, not its store's copy first. */
async function pushDeps(
  ctx: Pick<CopyCtx, 'distribution'>,
  step: Step,
  wait: (ids: string[]) => Promise<Array<{ outcome: string }>>,
): Promise<string[]> {
  if (step.kind !== 'copy' || !ctx.distribution || groupOf(step) === undefined) return step.deps;
  const own = step.deps.filter((id) => !id.startsWith('copy:'));
  if ((await wait(own)).some((d) => d.outcome !== 'ok')) return step.deps;
  const mode = await ctx.distribution.modeOf(step)?.catch(() => undefined);
  return mode === 'push' ? own : step.deps;
}

export async function deploy(
  hive: ResolvedHive,
  targets: string[],
  options: DeployOptions,
): Promise<DeployReport> {
  const started = performance.now();
  const spawn = options.spawn ?? spawnProcess;
  const signal = options.signal ?? new AbortController().signal;
  const runId = options.runId ?? newRunId();
  const logDir = path.join(hive.root, '.hive', 'logs', runId);
  const plan =
    options.plan ??
    planDeploy(hive, targets, {
      goal: options.goal,
      skip: options.skip,
      allowDirect: options.allowDirect,
      relayFanout: options.relayFanout,
      pushBelow: options.pushBelow,
      waves: options.waves,
      copiesFirst: Boolean(options.beforeActivation),
    });
  options.emit({ kind: 'plan', runId, plan, logDir });

  const nixEnv = options.nixEnv ?? {};
  const recorder = options.state ? new StateRecorder(options.state, runId) : undefined;
  const say = (text: string, level: 'info' | 'warn' = 'info') =>
    options.emit({ kind: 'message', level, text });
  const stepsById = new Map(plan.steps.map((s) => [s.id, s]));
  const targetSet = new Set(plan.targets);
  for (const t of plan.targets) recorder?.started(t, hive.instances[t]!.system);
  const signingKey = hive.signingKey && new HiveSigningKey(hive.signingKey, spawn, hive.root, nixEnv);
  const needsHosts = plan.steps.some(
    (s) => s.kind === 'copy' || s.kind === 'activate' || s.kind === 'keys' || (s.kind === 'build' && s.on),
  );
  const connect = options.connect ?? sshTransport;
  const compressed = compressedHosts(hive, plan.steps);
  const transport = needsHosts ? await connect(hive, spawn, { ...options.ssh, compressed }) : undefined;
  let relay: RelayRun | undefined;
  let buildHost: BuildHostPushes | undefined;
  let flushed = false;
  try {
    const ctx: DeployContext = {
      runId,
      activationTimeoutMs: options.activationTimeoutMs ?? 600_000,
      ...(options.specialisation ? { specialisation: options.specialisation } : {}),
      hive,
      plan,
      spawn,
      remote: transport?.remote ?? (() => Promise.reject(new Error('no transport'))),
      connect: transport?.connect ?? (() => Promise.reject(new Error('no transport'))),
      nixSshOpts: transport?.nixSshOpts ?? '',
      nixEnv,
      gcrootDir: path.join(hive.root, '.hive', 'gcroots'),
      evaluation: options.evaluation ?? { useCache: true },
      built: new Map(),
      publicKey: undefined,
      signingKey,
      allowDirect: options.allowDirect,
      state: options.state,
      recorder,
      say,
      rollout: options.rollout ?? { rollback: true },
      fresh: transport?.fresh,
      endpoint: transport?.endpoint,
      notes: new Map(),
      directCopies: new Set(),
      stagedKeys: new StagedKeys(),
    };
    const waveGate = plan.waves ? new WaveGate(plan.waves, signal) : undefined;
    const before = options.beforeActivation;
    const confirmGate = before
      ? new ActivationGate(plan.steps, () =>
          before({
            built: Object.fromEntries([...ctx.built].map(([s, b]) => [s, b.outPath])),
            remote: ctx.remote,
            instances: plan.steps.flatMap((s) => (s.kind === 'activate' ? [s.instance] : [])),
          }),
        )
      : undefined;
    const gate =
      waveGate || confirmGate
        ? {
            ended: (step: Step, outcome: Parameters<WaveGate['ended']>[1]) => {
              confirmGate?.ended(step);
              waveGate?.ended(step, outcome);
            },
            gate: async (step: Step) => (await confirmGate?.gate(step)) ?? (await waveGate?.gate(step)),
          }
        : undefined;
    if (plan.distribution?.length) ctx.distribution = new DistributionRun(ctx, options.parallel);
    if (plan.relay?.trees.length) (ctx.relay = relay = relayRun(ctx, options.ssh)).start(signal);
    if (plan.steps.some((s) => s.kind === 'build' && s.on))
      ctx.buildHost = buildHost = new BuildHostPushes(ctx, options.ssh?.connectTimeout);
    const emit: EventSink = (e) => {
      if (e.kind === 'step-end') gate?.ended(stepsById.get(e.step)!, e.outcome);
      if (e.kind === 'step-end' && recorder) {
        const step = stepsById.get(e.step)!;
        const path =
          step.kind === 'copy' || step.kind === 'activate' ? ctx.built.get(step.system)?.outPath : undefined;
        recorder.stepEnded({ step, outcome: e.outcome, reason: e.reason, path }, (n) => targetSet.has(n));
      }
      options.emit(e);
    };
    const limits = new DeployLimits({ parallel: options.parallel, storeFanout: options.storeFanout });
    const results = await runDag({
      steps: plan.steps,
      execute: createStepExecutor(ctx),
      limits: (step) => limits.of(step, step.kind === 'copy' && ctx.distribution?.pushedNow(step)),
      label: (s) =>
        describeStep(s, {
          direct: ctx.directCopies.has(s.id),
          pushed: s.kind === 'copy' && ctx.distribution?.pushedNow(s),
        }),
      orderings: (step) =>
        step.kind === 'activate'
          ? servedOrderings(
              step,
              stepsById,
              (c) => ctx.distribution?.modeOf(c),
              (system, store) => ctx.distribution?.modeBehind(system, store),
            )
          : step.kind === 'copy'
            ? copyOrderings(step, (c) => ctx.distribution?.modeOf(c))
            : Promise.resolve(step.after),
      deps: (step, wait) => pushDeps(ctx, step, wait),
      target: stepTarget,
      blame,
      emit,
      signal,
      killSignal: options.killSignal,
      gate: gate ? (step) => gate.gate(step) : undefined,
    });
    const report = buildReport(hive, plan, results, {
      runId,
      logDir,
      interrupted: signal.aborted,
      durationMs: performance.now() - started,
      systems: Object.fromEntries(plan.systems.map((s) => [s, { outPath: ctx.built.get(s)?.outPath }])),
    });
    for (const i of report.instances) {
      const note = ctx.notes.get(i.instance);
      if (note?.needsReboot) i.needsReboot = true;
      if (note?.failedUnits?.length) i.failedUnits = note.failedUnits;
    }
    for (const i of report.instances) {
      if (i.outcome === 'ok') recorder?.succeeded(i.instance);
      else recorder?.failedOrSkipped(i.instance, i.outcome, i.reason);
    }
    // The fleet's work is done: a state file that cannot be saved goes into the report, not over it.
    flushed = true;
    await options.state?.flush().catch((e: unknown) => {
      report.stateError = e instanceof Error ? e.message : String(e);
    });
    options.emit({ kind: 'report', report });
    return report;
  } finally {
    try {
      await relay?.cleanup().catch(() => {});
      await buildHost?.cleanup().catch(() => {});
      await transport?.close();
    } finally {
      if (!flushed) await options.state?.flush();
    }
  }
}
