// `nix-hive deploy [patterns…]` and `nix-hive plan [patterns…]`: build once, push through store hosts,
// activate in order. Chooses the renderer (listr2 on a TTY, plain lines, JSON lines) and exit code.
import type { Command } from 'commander';
import { InputError, inputError } from '../../errors.ts';
import type { ResolvedHive } from '../../inventory/types.ts';
import { StateFile } from '../../state/store.ts';
import { failedInstances } from '../../state/record.ts';
import { deploy } from '../../deploy/deploy.ts';
import { logWriter } from '../../deploy/logs.ts';
import { GOALS, isGoal, type Goal } from '../../nix/goal.ts';
import { planDeploy } from '../../plan/plan.ts';
import { planToJson, renderPlanText } from '../../plan/render.ts';
import { teeSinks, type EventSink } from '../../progress/events.ts';
import { jsonRenderer } from '../../progress/json.ts';
import { listrRenderer } from '../../progress/listr.ts';
import { plainRenderer } from '../../progress/plain.ts';
import { collectFailedTails, renderSummary } from '../../progress/summary.ts';
import { didYouMean } from '../../inventory/did-you-mean.ts';
import {
  addConfigOption,
  addSkipOption,
  loadSelection,
  parseCount,
  skips,
  statePath,
  type ConfigOptions,
  type SkipOptions,
} from '../options.ts';
import { interruptSignals } from '../interrupt.ts';
import { addRolloutOptions, rolloutOptions, waveOptions, type RolloutFlags } from '../rollout-options.ts';

interface DeployFlags extends ConfigOptions, SkipOptions, RolloutFlags {
  goal: string;
  dryRun?: boolean;
  json?: boolean;
  parallel: string;
  storeFanout: string;
  allowDirect?: boolean;
  verbose?: boolean;
  /** A path, or false for `--no-state`. */
  state?: string | false;
  failed?: boolean;
  connectTimeout: string;
  activationTimeout: string;
}

export function parseGoal(value: string): Goal {
  if (isGoal(value)) return value;
  throw new InputError([
    {
      path: '--goal',
      message: `unknown goal "${value}"${didYouMean(value, GOALS)} (expected ${GOALS.join(', ')})`,
    },
  ]);
}

function addDeployOptions(cmd: Command): Command {
  addConfigOption(cmd);
  addSkipOption(cmd);
  addRolloutOptions(cmd);
  return cmd
    .option('--goal <goal>', `what activation does: ${GOALS.join(' | ')}`, 'switch')
    .option('--json', 'one JSON event per line on stdout, then the report')
    .option('--parallel <n>', 'how many copies / activations run at once', '10')
    .option('--store-fanout <n>', 'how many instances substitute from one store host at once', '10')
    .option('--allow-direct', 'push from here when an instance is not wired to substitute from its store')
    .option('-v, --verbose', 'print every output line (plain mode)')
    .option(
      '--connect-timeout <s>',
      'seconds to wait for a host to answer before it counts as unreachable',
      '10',
    )
    .option('--activation-timeout <s>', 'seconds one activation may take', '600')
    .option('--state <file>', 'the cache of earlier runs (default: hive.state beside the config)')
    .option('--no-state', 'neither read nor write hive.state')
    .option(
      '--failed',
      'target the instances whose last deploy failed, was skipped or interrupted (from hive.state)',
    );
}

async function runPlan(patterns: string[], flags: DeployFlags, goalGiven: boolean): Promise<void> {
  const { goal } = rolloutOptions(flags, parseGoal(flags.goal), goalGiven);
  const waves = waveOptions(flags);
  const { hive, targets } = await loadSelection(flags, patterns);
  const plan = planDeploy(hive, targets, {
    waves,
    goal,
    skip: { build: skips(flags, 'build'), copy: skips(flags, 'copy'), activate: skips(flags, 'activate') },
    allowDirect: Boolean(flags.allowDirect),
  });
  process.stdout.write(flags.json ? JSON.stringify(planToJson(plan), null, 2) + '\n' : renderPlanText(plan));
}

async function runDeploy(patterns: string[], flags: DeployFlags, goalGiven: boolean): Promise<void> {
  if (flags.dryRun) return runPlan(patterns, flags, goalGiven);
  const { goal, rollout } = rolloutOptions(flags, parseGoal(flags.goal), goalGiven);
  const waves = waveOptions(flags);
  const parallel = parseCount('--parallel', flags.parallel);
  const storeFanout = parseCount('--store-fanout', flags.storeFanout);
  const connectTimeout = parseCount('--connect-timeout', flags.connectTimeout);
  const activationTimeout = parseCount('--activation-timeout', flags.activationTimeout);
  const { hive, targets, state } = await selectWithState(flags, patterns);
  if (targets.length === 0) {
    process.stderr.write(
      flags.failed
        ? 'nix-hive: hive.state records no failed instance; nothing to deploy\n'
        : 'nix-hive: the hive has no instances\n',
    );
    return;
  }

  const logs = logWriter();
  const tails = collectFailedTails();
  let view: EventSink;
  let viewDone: Promise<void> = Promise.resolve();
  if (flags.json) {
    view = jsonRenderer((l) => process.stdout.write(l + '\n'));
  } else if (process.stderr.isTTY && !flags.verbose) {
    const l = listrRenderer();
    view = l.sink;
    viewDone = l.done;
  } else {
    view = plainRenderer((l) => process.stderr.write(l + '\n'), { verbose: flags.verbose });
  }
  const emit = teeSinks(logs.sink, tails.sink, view);
  const interrupt = interruptSignals((text) => emit({ kind: 'message', level: 'warn', text }));
  try {
    const report = await deploy(hive, targets, {
      goal,
      skip: { build: skips(flags, 'build'), copy: skips(flags, 'copy'), activate: skips(flags, 'activate') },
      allowDirect: Boolean(flags.allowDirect),
      parallel,
      storeFanout,
      emit,
      signal: interrupt.stop,
      killSignal: interrupt.kill,
      state,
      ssh: { connectTimeout },
      activationTimeoutMs: activationTimeout * 1000,
      rollout,
      waves,
    });
    await viewDone;
    if (!flags.json) process.stdout.write(renderSummary(report, tails.tails));
    process.exitCode = report.ok ? 0 : report.interrupted ? 130 : 1;
  } finally {
    interrupt.dispose();
    await logs.close();
  }
}

/** Loads the hive, opens the state, and picks the targets (`--failed` narrows to what failed last). */
async function selectWithState(
  flags: DeployFlags,
  patterns: string[],
): Promise<{ hive: ResolvedHive; targets: string[]; state: StateFile | undefined }> {
  if (flags.failed && flags.state === false)
    throw inputError('--failed', 'needs hive.state; drop --no-state');
  const { hive, targets } = await loadSelection(flags, flags.failed && patterns.length === 0 ? [] : patterns);
  const file = statePath(flags, hive);
  const state = file ? await StateFile.open(file) : undefined;
  if (!flags.failed || !state) return { hive, targets, state };
  const failed = new Set(failedInstances(state).filter((n) => hive.instances[n]));
  return { hive, targets: targets.filter((t) => failed.has(t)), state };
}

export function registerDeploy(program: Command): void {
  addDeployOptions(
    program
      .command('deploy')
      .description('build the selected systems once, push them through their store hosts, activate in order')
      .argument('[patterns...]', 'instance names, system names, tags, @tag, !exclude, globs; none = all'),
  )
    .option('--dry-run', 'print the plan and stop (text, or JSON with --json)')
    .action((patterns: string[], flags: DeployFlags, cmd: Command) =>
      runDeploy(patterns, flags, cmd.getOptionValueSource('goal') === 'cli'),
    );

  addDeployOptions(
    program
      .command('plan')
      .description(
        'print the deploy plan (the DAG of build, sign, copy and activate steps) without running it',
      )
      .argument('[patterns...]', 'instance names, system names, tags, @tag, !exclude, globs; none = all'),
  ).action((patterns: string[], flags: DeployFlags, cmd: Command) =>
    runPlan(patterns, flags, cmd.getOptionValueSource('goal') === 'cli'),
  );
}
