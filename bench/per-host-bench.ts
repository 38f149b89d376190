// The per-host section (issue 23, `--only perhost`): what a deploy of a change costs per host on a big fleet.
// One NIC-shaped fleet (1 store/jump host + `--perhost-hosts` behind it, every NIC at `--host-mbit`, as in
// the relay section), warmed once with a base system; then, side by side on that same fleet, a small change
// (`--small`, new closure bytes ≤ 1 MiB) and a large one (`--large`, ≥ 20 MiB), each deployed by nix-hive
// with its defaults and by a Colmena-style parallel push (10 at a time: `nix copy` from the deployer through
// the jump host, then profile and `switch-to-configuration` over ssh). Every deploy brings new bytes (its own
// payload seed). Each deploy's step timeline is kept (`perhost-timeline.json` beside results.json).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startFleet, type Fleet } from '../test/fleet/harness/fleet.ts';
import { must } from '../test/fleet/harness/proc.ts';
import {
  fleetHosts,
  JUMP,
  writeHiveConfig,
  writeHiveFiles,
  wwwNames,
  type BenchHiveFiles,
} from './bench-hive.ts';
import { accounted, openCpuGroup, type CpuUse } from './cpu-account.ts';
import { openDeployerPriority } from './cpu-priority.ts';
import { initStores } from './fleet-bench.ts';
import { deployTimed } from './relay-bench.ts';
import { median, ratio, seconds } from './stats.ts';
import { cliEnv, deployParallel, runCli, verifyDeployed, type Targets } from './variants.ts';

export type Change = 'small' | 'large';
export type PerHostVariant = 'nix-hive' | 'push';
export interface TimelineEntry {
  /** `copy`, `activate` (and nix-hive's other step kinds), on which host (or store). */
  step: string;
  host: string;
  startMs: number;
  endMs: number;
}

export interface PerHostRun {
  change: Change;
  variant: PerHostVariant;
  round: number;
  wallMs: number;
  /** NAR bytes of the www closure that the host did not have (the change's size). */
  newBytes: number;
  /** nix-hive only: how the plan said it distributes the closure, and why. */
  distribution?: string;
  timeline: TimelineEntry[];
  /** CPU of every process that ended during the deploy (process accounting), when the machine can count it. */
  cpu?: CpuUse;
}

export interface PerHostSummary {
  wallMs: number;
  copyMedianMs: number;
  activateMedianMs: number;
  storeActivateMs: number;
  /** From the start to the first activation of a host behind the store. */
  firstActivationMs: number;
  /** CPU seconds of every process of the deployer and the fleet during the deploy (NaN: not counted). */
  cpuS: number;
  /** Of which the kernel's (system time). */
  systemS: number;
}

export interface PerHostResults {
  hosts: number;
  mbit: number;
  parallel: number;
  /** The deployer's CPU shares ÷ the fleet's, when the machine could set them (cpu-priority.ts). */
  deployerWeight?: number;
  /** Rounds asked for (results.json keeps no runs: their timelines are in perhost-timeline.json). */
  rounds?: number;
  small: string;
  large: string;
  newBytes: Record<Change, number>;
  runs: PerHostRun[];
  /** Medians per change and variant. */
  summary: Record<Change, Record<PerHostVariant, PerHostSummary>>;
  ratio: Record<Change, number>;
  distribution: Partial<Record<Change, string>>;
  failures: string[];
}

export interface PerHostOptions {
  hosts: number;
  small: string;
  large: string;
  mbit: number;
  rounds: number;
  parallel: number;
  /** The deployer's CPU shares ÷ the fleet's (cpu-priority.ts); 1: no priority. */
  deployerWeight: number;
  nixEnv: Record<string, string>;
  log: (line: string) => void;
}

/** Module files of one deploy: both systems change (new payload seed), the www closure is `size`. */
async function changeModules(files: BenchHiveFiles, tag: string, size: string): Promise<BenchHiveFiles> {
  const portico = path.join(files.dir, `portico-${tag}.nix`);
  const www = path.join(files.dir, `www-${tag}.nix`);
  await writeFile(
    portico,
    '# The bench jump host, changed by this deploy.\n' +
      `{ ... }: { networking.hostName = "portico"; hive.payloadSize = "16K"; hive.payloadSeed = "${tag}"; system.stateVersion = "24.11"; }\n`,
  );
  await writeFile(
    www,
    '# The bench web servers, changed by this deploy.\n' +
      `{ ... }: { networking.hostName = ""; hive.payloadSize = "${size}"; hive.payloadPaths = ${files.shape.payloadPaths}; ` +
      `hive.payloadSeed = "${tag}"; system.stateVersion = "24.11"; }\n`,
  );
  return { ...files, modules: { portico, www } };
}

async function requisites(outPath: string, env: Record<string, string>): Promise<Map<string, number>> {
  const req = await must(['nix-store', '--query', '--requisites', outPath], { env });
  const paths = req.stdout.split('\n').filter(Boolean);
  const sizes = await must(['nix-store', '--query', '--size', ...paths], { env });
  const n = sizes.stdout.split('\n').filter(Boolean);
  return new Map(paths.map((p, i) => [p, Number(n[i])]));
}

interface Built {
  files: BenchHiveFiles;
  targets: Targets;
  www: string;
}

/** Builds both systems of one deploy with `nix-hive build` (not timed). */
async function build(files: BenchHiveFiles, dir: string, env: Record<string, string>): Promise<Built> {
  const config = await writeHiveConfig(files, dir);
  const r = await runCli(['build', '-c', config, '--no-state'], env);
  if (r.exitCode !== 0) throw new Error(`nix-hive build failed: ${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout) as { systems: Record<string, { outPath: string }> };
  const www = out.systems.www!.outPath;
  const targets: Targets = [
    { host: JUMP, outPath: out.systems.portico!.outPath },
    ...wwwNames(files.shape).map((host) => ({ host, outPath: www })),
  ];
  return { files, targets, www };
}

const TL = (line: string) => process.env.BENCH_TIMELINE && process.stderr.write(`TL ${line}\n`);

/** nix-hive deploy --json with its defaults; the timeline from its step events. */
async function runHive(
  fleet: Fleet,
  b: Built,
  dir: string,
): Promise<Omit<PerHostRun, 'change' | 'round' | 'newBytes'>> {
  const config = await writeHiveConfig(b.files, dir, fleet);
  const env = await cliEnv(fleet, path.join(dir, 'home'));
  const t0 = performance.now();
  // BENCH_HIVE_ARGS: more deploy options, to see what a guarantee costs (e.g. `--no-rollback`); not defaults.
  const extra = process.env.BENCH_HIVE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  const r = await deployTimed(['deploy', '-c', config, '--json', '--no-state', ...extra], env);
  const wallMs = performance.now() - t0;
  if (r.exitCode !== 0 || !r.report?.ok) {
    // --json puts the reasons in the report, not on stderr: the first few failed instances, with why.
    const failed = (
      (r.report?.instances ?? []) as Array<{ instance?: string; outcome?: string; reason?: string }>
    )
      .filter((i) => i.outcome !== 'ok')
      .slice(0, 3)
      .map((i) => `${i.instance}: ${i.outcome} (${i.reason ?? ''})`);
    throw new Error(
      `nix-hive deploy failed (exit ${r.exitCode}): ${failed.join('; ')} ${r.stderr.slice(-1500)}`,
    );
  }
  const timeline: TimelineEntry[] = [];
  for (const s of r.plan.steps as Array<{
    id: string;
    kind: string;
    instance?: string;
    to?: { name?: string };
  }>) {
    const startMs = r.starts.get(s.id);
    const endMs = r.ends.get(s.id);
    if (startMs === undefined || endMs === undefined) continue;
    const host = s.instance ?? s.to?.name ?? '';
    timeline.push({ step: s.id.startsWith(`copy:portico`) ? 'copy' : s.kind, host, startMs, endMs });
  }
  // Decided by the plan, or (`by-size`) once built: the deploy says it in a message.
  const planned = (r.plan.distribution ?? []) as Array<{ system: string; mode: string; why: string }>;
  const www = planned.find((d) => d.system === 'www');
  const said = r.messages.find((m) => m.startsWith('distribution www '));
  const distribution =
    www && www.mode !== 'by-size'
      ? `${www.mode}: ${www.why}`
      : said?.replace(/^distribution www [^:]*: /, '');
  return { variant: 'nix-hive', wallMs, timeline, ...(distribution ? { distribution } : {}) };
}

/** The parallel push (10 at a time), its per-host copy and activation times. */
async function runPush(
  fleet: Fleet,
  b: Built,
  parallel: number,
): Promise<Omit<PerHostRun, 'change' | 'round' | 'newBytes'>> {
  const timeline: TimelineEntry[] = [];
  const t0 = performance.now();
  await deployParallel(fleet, b.targets, parallel, (host, step, s, e) => {
    timeline.push({ step, host, startMs: s - t0, endMs: e - t0 });
    TL(`${(e - t0).toFixed(0)} push ${step} ${host} ${(e - s).toFixed(0)} ms`);
  });
  return { variant: 'push', wallMs: performance.now() - t0, timeline };
}

function summarize(run: PerHostRun): PerHostSummary {
  const inner = run.timeline.filter((t) => t.host !== JUMP);
  const dur = (step: string) => inner.filter((t) => t.step === step).map((t) => t.endMs - t.startMs);
  const store = run.timeline.find((t) => t.host === JUMP && t.step === 'activate');
  return {
    wallMs: run.wallMs,
    copyMedianMs: median(dur('copy')),
    activateMedianMs: median(dur('activate')),
    storeActivateMs: store ? store.endMs - store.startMs : NaN,
    firstActivationMs: Math.min(...inner.filter((t) => t.step === 'activate').map((t) => t.startMs)),
    cpuS: run.cpu?.totalS ?? NaN,
    systemS: run.cpu?.systemS ?? NaN,
  };
}

export async function perHostBench(workDir: string, o: PerHostOptions): Promise<PerHostResults> {
  const shape = { internal: o.hosts, payload: o.small, payloadPaths: 4 };
  const files = await writeHiveFiles(path.join(workDir, 'hive'), shape);
  const env = await cliEnv({ nixEnv: () => o.nixEnv } as Fleet, path.join(workDir, 'home'));
  const plan: Array<{ change: Change; variant: PerHostVariant; round: number }> = [];
  for (let r = 0; r < o.rounds; r++)
    for (const change of ['small', 'large'] as const) {
      const order: PerHostVariant[] = r % 2 ? ['push', 'nix-hive'] : ['nix-hive', 'push'];
      for (const variant of order) plan.push({ change, variant, round: r + 1 });
    }
  o.log(`  building ${plan.length + 1} pairs of systems…`);
  const base = await build(await changeModules(files, 'base', o.small), path.join(workDir, 'b-base'), env);
  const builds = [];
  for (const p of plan) {
    const tag = `${p.change}-${p.variant}-${p.round}`;
    const size = p.change === 'small' ? o.small : o.large;
    builds.push(await build(await changeModules(files, tag, size), path.join(workDir, `b-${tag}`), env));
  }
  o.log(`  starting 1 + ${o.hosts} hosts, ${o.mbit} Mbit/s NICs…`);
  // Every process of the fleet and the deploys from here on: their CPU (cpu-account.ts).
  const group = openCpuGroup();
  // The deployer's processes before the fleet's (cpu-priority.ts): the fleet's are all the group holds now.
  const priority = group && o.deployerWeight > 1 ? openDeployerPriority(o.deployerWeight) : undefined;
  const fleet = await startFleet({
    hosts: fleetHosts(files),
    shapeHostsMbit: o.mbit,
    shapeUplinkMbit: o.mbit,
  }).catch((err: unknown) => {
    priority?.close();
    group?.close();
    throw err;
  });
  if (group && priority) priority.fleet(group.procs());
  o.log(
    priority
      ? `  the deployer's processes get ${o.deployerWeight} × the fleet's CPU shares`
      : '  the deployer and the fleet share the CPUs alike',
  );
  const runs: PerHostRun[] = [];
  const failures: string[] = [];
  try {
    await initStores(fleet);
    o.log('  warming up: nix-hive deploys the base system…');
    const w = await runHive(fleet, base, path.join(workDir, 'd-base'));
    await verifyDeployed(fleet, base.targets, 'base');
    o.log(`    ${seconds(w.wallMs)}`);
    let previous = await requisites(base.www, o.nixEnv);
    for (const [i, p] of plan.entries()) {
      const b = builds[i]!;
      const closure = await requisites(b.www, o.nixEnv);
      let newBytes = 0;
      for (const [q, n] of closure) if (!previous.has(q)) newBytes += n;
      o.log(
        `  ${p.change} change (${(newBytes / 1024).toFixed(0)} KiB new), round ${p.round}: ${p.variant}…`,
      );
      try {
        const deploy = () =>
          p.variant === 'nix-hive'
            ? runHive(fleet, b, path.join(workDir, `d-${i}`))
            : runPush(fleet, b, o.parallel);
        const { value: r, cpu } = group
          ? await accounted(group, path.join(workDir, `acct-${i}`), deploy)
          : { value: await deploy(), cpu: undefined };
        await verifyDeployed(fleet, b.targets, p.variant);
        runs.push({ ...r, change: p.change, round: p.round, newBytes, ...(cpu ? { cpu } : {}) });
        if (cpu)
          o.log(
            `    CPU ${cpu.totalS.toFixed(1)} s (system ${cpu.systemS.toFixed(1)} s; ${(cpu.totalS / (o.hosts + 1)).toFixed(2)} s per host, ${cpu.processes} processes ended): ` +
              cpu.byCommand
                .slice(0, 14)
                .map((c) => `${c.command} ${c.seconds.toFixed(1)} s/${c.count}`)
                .join(', '),
          );
        const s = summarize(runs.at(-1)!);
        o.log(
          `    ${seconds(r.wallMs)}; copy median ${seconds(s.copyMedianMs)}, activation median ${seconds(s.activateMedianMs)}, store activation ${seconds(s.storeActivateMs)}${r.distribution ? `; ${r.distribution}` : ''}`,
        );
        previous = closure;
      } catch (err) {
        const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
        failures.push(`per-host: ${p.change} ${p.variant} round ${p.round} failed: ${msg}`);
        o.log(`    failed: ${msg}`);
        // The hosts may run a mix now: the next deploy's new bytes are counted against this one's closure.
        previous = closure;
      }
    }
  } finally {
    await fleet.dispose();
    priority?.close();
    group?.close();
  }
  const summary = {} as PerHostResults['summary'];
  const ratios = {} as Record<Change, number>;
  const newBytes = {} as Record<Change, number>;
  const distribution: PerHostResults['distribution'] = {};
  for (const change of ['small', 'large'] as const) {
    summary[change] = {} as Record<PerHostVariant, PerHostSummary>;
    for (const v of ['nix-hive', 'push'] as const) {
      const sums = runs.filter((r) => r.change === change && r.variant === v).map(summarize);
      const med = (f: (s: PerHostSummary) => number) => median(sums.map(f));
      summary[change][v] = {
        wallMs: med((s) => s.wallMs),
        copyMedianMs: med((s) => s.copyMedianMs),
        activateMedianMs: med((s) => s.activateMedianMs),
        storeActivateMs: med((s) => s.storeActivateMs),
        firstActivationMs: med((s) => s.firstActivationMs),
        cpuS: med((s) => s.cpuS),
        systemS: med((s) => s.systemS),
      };
    }
    // Each round's ratio, from the two deploys of that round; the median over the rounds.
    const pairs = [...new Set(runs.map((r) => r.round))].map((round) => {
      const at = (v: PerHostVariant) =>
        runs.find((r) => r.change === change && r.variant === v && r.round === round);
      const h = at('nix-hive');
      const p = at('push');
      return h && p ? h.wallMs / p.wallMs : NaN;
    });
    ratios[change] = median(pairs.filter(Number.isFinite));
    newBytes[change] = median(runs.filter((r) => r.change === change).map((r) => r.newBytes));
    const d = runs.find((r) => r.change === change && r.distribution)?.distribution;
    if (d) distribution[change] = d;
  }
  return {
    hosts: o.hosts,
    mbit: o.mbit,
    parallel: o.parallel,
    ...(priority ? { deployerWeight: o.deployerWeight } : {}),
    rounds: o.rounds,
    small: o.small,
    large: o.large,
    newBytes,
    runs,
    summary,
    ratio: ratios,
    distribution,
    failures,
  };
}

/** Writes every run's timeline (large: kept out of results.json). */
export async function writeTimelines(r: PerHostResults, file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(r.runs, null, 1)}\n`);
}

const row = (c: string[]) => `| ${c.join(' | ')} |`;
const kib = (b: number) =>
  b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(1)} MiB` : `${(b / 1024).toFixed(0)} KiB`;

/** The section of results.md. */
export function perHostSection(r: PerHostResults): string {
  const lines = [
    '## Per-host cost: a change to many hosts',
    '',
    `1 store/jump host + ${r.hosts} hosts behind it, every NIC shaped to ${r.mbit} Mbit/s (as in the relay section), ` +
      `one fleet warmed with a base system, then each change deployed by nix-hive (defaults) and by a parallel push ` +
      `(${r.parallel} at a time: \`nix copy\` from the deployer through the jump host, then profile and ` +
      `\`switch-to-configuration\` over ssh), side by side; every deploy brings its own new bytes. Medians over ` +
      `${r.rounds ?? Math.max(1, ...r.runs.map((x) => x.round))} round(s); step timelines in \`perhost-timeline.json\`. ` +
      (r.deployerWeight
        ? `The deployer's processes (either variant's) had ${r.deployerWeight} × the fleet's CPU shares, as a deployer on a machine of its own.`
        : 'The deployer and the fleet shared the CPUs alike.'),
    '',
    row([
      'change (new bytes)',
      'nix-hive',
      'parallel push (10)',
      'nix-hive ÷ push',
      'goal',
      'nix-hive chose',
    ]),
    row(['---', '---', '---', '---', '---', '---']),
  ];
  for (const c of ['small', 'large'] as const) {
    const s = r.summary[c];
    lines.push(
      row([
        `${c} (${kib(r.newBytes[c])})`,
        seconds(s['nix-hive'].wallMs),
        seconds(s.push.wallMs),
        `**${Number.isFinite(r.ratio[c]) ? r.ratio[c].toFixed(2) : 'n/a'}**`,
        c === 'small' ? '≤ 0.8' : '',
        r.distribution[c] ?? '',
      ]),
    );
  }
  lines.push(
    '',
    row(['step timeline (medians)', 'change', 'nix-hive', 'parallel push (10)']),
    row(['---', '---', '---', '---']),
  );
  for (const c of ['small', 'large'] as const) {
    const s = r.summary[c];
    const both = (f: (x: PerHostSummary) => number) => [seconds(f(s['nix-hive'])), seconds(f(s.push))];
    lines.push(
      row(['copy to one host', c, ...both((x) => x.copyMedianMs)]),
      row(['activation of one host', c, ...both((x) => x.activateMedianMs)]),
      row(['the store host’s activation', c, ...both((x) => x.storeActivateMs)]),
      row(['first activation behind the store starts at', c, ...both((x) => x.firstActivationMs)]),
      row([
        'CPU of deployer and fleet, per host (system)',
        c,
        ...[s['nix-hive'], s.push].map((x) =>
          Number.isFinite(x.cpuS)
            ? `${(x.cpuS / (r.hosts + 1)).toFixed(2)} s (${(x.systemS / (r.hosts + 1)).toFixed(2)} s)`
            : 'not counted',
        ),
      ]),
    );
  }
  lines.push('');
  return lines.join('\n');
}

/** Rows of the headline table (figure, nix-hive's value, goal). */
export function perHostHeadlineRows(r: PerHostResults): string[][] {
  return (['small', 'large'] as const).map((c) => [
    `${c} change (${kib(r.newBytes[c])} new) to 1 + ${r.hosts} hosts: wall time ÷ parallel push's (10)`,
    `${ratio(r.summary[c]['nix-hive'].wallMs, r.summary[c].push.wallMs)} (${seconds(r.summary[c]['nix-hive'].wallMs)} / ${seconds(r.summary[c].push.wallMs)})`,
    c === 'small' ? '≤ 0.8' : '',
  ]);
}
