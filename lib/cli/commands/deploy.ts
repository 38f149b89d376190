// `nix-hive deploy [patterns…]` and `nix-hive plan [patterns…]`: build once, push through store hosts,
// activate in order. Chooses the renderer (listr2 on a TTY, plain lines, JSON lines) and exit code.
import type { Command } from 'commander';
import type { ResolvedHive } from '../../inventory/types.ts';
import { StateError } from '../../errors.ts';
import { deploy, newRunId } from '../../deploy/deploy.ts';
import { logWriter } from '../../deploy/run/logs.ts';
import { GOALS } from '../../nix/goal.ts';
import { planDeploy } from '../../plan/plan.ts';
import { DEFAULT_RELAY_FANOUT } from '../../plan/relay.ts';
import { planToJson, renderPlanText } from '../../plan/render.ts';
import { teeSinks, type DeployReport, type EventSink } from '../../progress/events.ts';
import { jsonRenderer } from '../../progress/json.ts';
import { listrFits, listrRenderer } from '../../progress/listr.ts';
import { collectPreview } from '../../progress/preview.ts';
import { plainRenderer } from '../../progress/plain.ts';
import { collectFailedTails, renderSummary } from '../../progress/summary.ts';
import {
  addConfigOption,
  addEvalOptions,
  addSigningKeyOption,
  addSkipOption,
  evalChoice,
  type EvalFlags,
} from '../options.ts';
import { evalCache } from '../../deploy/build/eval-cache.ts';
import { buildPlaces } from '../../deploy/build/build-systems.ts';
import { spawnProcess } from '../../exec/spawn.ts';
import { parseGoal, prepareDeploy, type DeploySetupFlags } from '../deploy-setup.ts';
import {
  addRolloutOptions,
  rebootPatterns,
  rolloutOptions,
  specialisationOption,
  waveOptions,
  type RolloutFlags,
} from '../rollout-options.ts';
import { interruptSignals } from '../interrupt.ts';
import {
  addConfirmOptions,
  beforeActivation,
  showsDiff,
  confirmPlan,
  type ConfirmFlags,
} from '../confirm-activation.ts';
import { NOT_CONFIRMED } from '../../deploy/activate/activation-gate.ts';
import { act, outcomeOf, type Outcome } from '../outcome.ts';

interface DeployFlags extends DeploySetupFlags, RolloutFlags, ConfirmFlags, EvalFlags {
  dryRun?: boolean;
  json?: boolean;
  verbose?: boolean;
}

function addDeployOptions(cmd: Command): Command {
  addConfigOption(cmd);
  addSkipOption(cmd);
  addRolloutOptions(cmd);
  addSigningKeyOption(cmd);
  addEvalOptions(cmd);
  return cmd
    .option('--goal <goal>', `what activation does: ${GOALS.join(' | ')}`, 'switch')
    .option('--json', 'one JSON event per line on stdout, then the report')
    .option(
      '--parallel <n>',
      'how many copies from here or a store, and activations, run at once (relayed copies: bounded by --store-fanout per parent)',
      '10',
    )
    .option('--store-fanout <n>', 'how many instances substitute from one store host at once', '10')
    .option(
      '--relay-fanout <k>',
      'instances that hold the closure pass it on to k more each (a tree behind each store); 0 = every instance substitutes from its store',
      String(DEFAULT_RELAY_FANOUT),
    )
    .option(
      '--push-below <size>',
      "push a change from here over each instance's own connection when it lacks at most this much of the closure and more than 8 instances share its store (0 = always pull from the store)",
      '2M',
    )
    .option('--allow-direct', 'push from here when an instance is not wired to substitute from its store')
    .option('-v, --verbose', 'print every output line (plain mode)')
    .option(
      '--connect-timeout <s>',
      'seconds to wait for a host to answer before it counts as unreachable',
      '10',
    )
    .option('--activation-timeout <s>', 'seconds one activation may take', '600')
    .option('--build-host <host>', 'build on this instance or ssh-ng:// URI (overrides build.host)')
    .option('--state <file>', 'the cache of earlier runs (default: hive.state beside the config)')
    .option('--no-state', 'neither read nor write hive.state')
    .option(
      '--failed',
      'target the instances whose last deploy failed, was skipped or interrupted (from hive.state)',
    );
}

async function runPlan(given: string[], flags: DeployFlags, goalGiven: boolean): Promise<void> {
  const patterns = rebootPatterns(flags, given);
  const { goal, rollout } = rolloutOptions(flags, parseGoal(flags.goal), goalGiven);
  const waves = waveOptions(flags);
  const evaluation = evalChoice(flags);
  const setup = await prepareDeploy(patterns, flags);
  for (const note of setup.notes) process.stderr.write(`nix-hive: ${note}\n`);
  if (setup.nothing) process.stderr.write(`nix-hive: ${setup.nothing}\n`);
  const plan = planDeploy(setup.hive, setup.targets, {
    goal,
    waves,
    skip: setup.skip,
    allowDirect: setup.allowDirect,
    relayFanout: setup.relayFanout,
    evalCached:
      evaluation.useCache && !setup.skip.build ? await fromEvalCache(setup.hive, plannedSystems(setup)) : [],
    pushBelow: setup.pushBelow,
    copiesFirst: showsDiff(flags, rollout.reboot?.only),
  });
  process.stdout.write(flags.json ? JSON.stringify(planToJson(plan), null, 2) + '\n' : renderPlanText(plan));
}

async function runDeploy(given: string[], flags: DeployFlags, goalGiven: boolean): Promise<Outcome> {
  if (flags.dryRun) {
    await runPlan(given, flags, goalGiven);
    return 'ok';
  }
  const patterns = rebootPatterns(flags, given);
  const { goal, rollout } = rolloutOptions(flags, parseGoal(flags.goal), goalGiven);
  const specialisation = specialisationOption(flags, goal);
  const waves = waveOptions(flags);
  const confirm = confirmPlan(
    flags,
    Boolean(process.stdin.isTTY && process.stderr.isTTY),
    rollout.reboot?.only,
  );
  const evaluation = evalChoice(flags);
  const runId = newRunId();
  const setup = await prepareDeploy(patterns, flags, runId);
  const { hive, targets, state } = setup;
  for (const note of setup.notes) process.stderr.write(`nix-hive: ${note}\n`);
  if (setup.nothing) {
    await setup.lock?.release();
    process.stderr.write(`nix-hive: ${setup.nothing}\n`);
    if (flags.json) {
      process.stdout.write(JSON.stringify({ kind: 'message', level: 'info', text: setup.nothing }) + '\n');
      process.stdout.write(JSON.stringify({ kind: 'report', report: emptyReport(runId, goal) }) + '\n');
    }
    return 'ok';
  }

  let emit: EventSink = () => {};
  const logs = logWriter((text) => emit({ kind: 'message', level: 'warn', text }));
  const tails = collectFailedTails();
  const preview = collectPreview();
  let view: EventSink;
  let closeView = async () => {};
  // Around the question the live view ends; plain lines (stderr) carry the rest of the run.
  const pauseView = async () => {
    await closeView();
    if (flags.json || !closeViewSet) return;
    closeViewSet = false;
    view = plainRenderer((l) => process.stderr.write(l + '\n'), { verbose: flags.verbose });
  };
  let closeViewSet = false;
  if (flags.json) {
    view = jsonRenderer((l) => process.stdout.write(l + '\n'));
  } else if (!flags.verbose && listrFits()) {
    const l = await listrRenderer();
    view = l.sink;
    closeView = l.close;
    closeViewSet = true;
  } else {
    view = plainRenderer((l) => process.stderr.write(l + '\n'), { verbose: flags.verbose });
  }
  emit = teeSinks(logs.sink, tails.sink, preview.sink, (e) => view(e));
  const interrupt = interruptSignals((text) => emit({ kind: 'message', level: 'warn', text }));
  try {
    const report = await deploy(hive, targets, {
      goal,
      rollout,
      waves,
      skip: setup.skip,
      allowDirect: setup.allowDirect,
      parallel: setup.parallel,
      storeFanout: setup.storeFanout,
      relayFanout: setup.relayFanout,
      pushBelow: setup.pushBelow,
      emit,
      signal: interrupt.stop,
      killSignal: interrupt.kill,
      state,
      runId,
      ssh: { connectTimeout: setup.connectTimeout },
      activationTimeoutMs: setup.activationTimeout * 1000,
      ...(specialisation ? { specialisation } : {}),
      beforeActivation: confirm.show
        ? beforeActivation(hive, confirm, rollout.reboot?.only, {
            json: Boolean(flags.json),
            verbose: Boolean(flags.verbose),
            parallel: setup.parallel,
            activationDiff: flags.activationDiff,
            pauseView,
            signal: interrupt.stop,
          })
        : undefined,
      evaluation,
    });
    await closeView();
    if (!flags.json) process.stdout.write(renderSummary(report, tails.tails) + preview.render());
    // The fleet's work is done and summarised; a state file that could not be saved still fails the run.
    if (report.stateError) throw new StateError(report.stateError);
    if (report.instances.some((i) => i.reason === NOT_CONFIRMED))
      process.stderr.write(`nix-hive: ${NOT_CONFIRMED}: nothing activated\n`);
    return outcomeOf(report);
  } finally {
    // Every path ends the view (a failure after the plan was shown, an exception), or the terminal waits.
    await closeView();
    await logs.close();
    await setup.lock?.release();
    // Last: a Ctrl-C during the steps above is still the orderly kind, not node's default death.
    interrupt.dispose();
  }
}

/** The systems of the targets built here (a build host's systems are evaluated without the cache: build-host.ts). */
function plannedSystems(setup: { hive: ResolvedHive; targets: string[] }): string[] {
  const names = [...new Set(setup.targets.map((t) => setup.hive.instances[t]!.system))];
  return (
    buildPlaces(setup.hive, names)
      .get(undefined)
      ?.map((s) => s.name) ?? []
  );
}

/** Which systems' derivations the evaluation cache holds (what `plan` shows as "derivation cached"). */
async function fromEvalCache(hive: ResolvedHive, names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const cache = evalCache(hive, { spawn: spawnProcess });
  const hits = await cache.lookup(names.map((n) => hive.systems[n]!));
  return names.filter((n) => hits.has(n));
}

/** The report of a run with nothing to do (`--json` still ends with one). */
function emptyReport(runId: string, goal: string): DeployReport {
  return {
    runId,
    goal,
    ok: true,
    interrupted: false,
    durationMs: 0,
    logDir: '',
    systems: {},
    instances: [],
    steps: [],
  };
}

export function registerDeploy(program: Command): void {
  addConfirmOptions(
    addDeployOptions(
      program
        .command('deploy')
        .description(
          'build the selected systems once, push them through their store hosts, activate in order',
        )
        .argument('[patterns...]', 'instance names, system names, tags, @tag, !exclude, globs; none = all'),
    ),
  )
    .option('--dry-run', 'print the plan and stop (text, or JSON with --json)')
    .action(
      act((patterns: string[], flags: DeployFlags, cmd: Command) =>
        runDeploy(patterns, flags, cmd.getOptionValueSource('goal') === 'cli'),
      ),
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
