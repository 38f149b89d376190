// Turns the results into bench/results.md: the machine, then one markdown table per section, figures as
// ratios measured side by side in the same run (absolute values beside them for reference).
import type { FleetFigures } from './figures.ts';
import { machineLine, type Machine } from './machine.ts';
import type { OverheadResults } from './overhead.ts';
import type { ScaleResults } from './plan-scale.ts';
import { mib, ratio, seconds } from './stats.ts';
import { VARIANT_LABEL, VARIANTS } from './variants.ts';
import type { Prepared } from './fleet-bench.ts';
import { relayHeadlineRows, relaySection, type RelayBenchResults } from './relay-bench.ts';
import { perHostHeadlineRows, perHostSection, type PerHostResults } from './per-host-bench.ts';
import { cliHeadlineRows, cliSection, type StartupResults } from './cli-startup.ts';
import { compressHeadlineRows, compressSection, type CompressBenchResults } from './compress-bench.ts';
import { keysHeadlineRows, keysSection, type KeysBenchResults } from './keys-bench.ts';
import { evalHeadlineRows, evalSection, type EvalBenchResults } from './eval-bench.ts';

export interface BenchResults {
  machine: Machine;
  startedAt: string;
  durationMs: number;
  argv: string[];
  fleet?: { prepared: Prepared; figures: FleetFigures };
  relay?: RelayBenchResults;
  /** The per-host section; its runs' timelines are written to perhost-timeline.json, not here. */
  perhost?: PerHostResults & { load: { start: number; end: number } };
  compress?: CompressBenchResults;
  keys?: KeysBenchResults;
  eval?: EvalBenchResults;
  cli?: StartupResults;
  scale?: ScaleResults;
  overhead?: OverheadResults;
  importNote?: string;
  /** The diff at scale (`diff-bench.ts`): a table of runs side by side. */
  diffNote?: string;
  /** Load averages (1 min) at the start and end: the machine may be shared with other work. */
  load: { start: number; end: number };
  notes: string[];
}

const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
const table = (head: string[], rows: string[][]) =>
  [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
const fix = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

function fleetSection(p: Prepared, f: FleetFigures): string {
  const head = ['figure', ...VARIANTS.map((v) => VARIANT_LABEL[v]), 'goal'];
  const rows: string[][] = [
    [
      'uplink bytes ÷ unique closure bytes',
      ...VARIANTS.map((v) => `**${ratio(f.bytesRatio[v], 1)}**`),
      'nix-hive ≤ 1.05',
    ],
  ];
  rows.push([
    'bytes sent on the internal network ÷ unique (baselines: relayed by ProxyJump)',
    ...VARIANTS.map((v) => ratio(f.internalRatio[v], 1)),
    '',
  ]);
  if (f.shaped) {
    const s = f.shaped;
    rows.push(
      [
        `wall time ÷ nix-hive's (${s.mbit} Mbit/s uplink, median of ${s.rounds} round${s.rounds > 1 ? 's' : ''})`,
        ...VARIANTS.map((v) => `**${ratio(s.wallRatioToHive[v], 1)}** (${seconds(s.wallMedianMs[v])})`),
        '',
      ],
      [
        `wall time ÷ lower bound (${seconds(s.lowerBoundMs)})`,
        ...VARIANTS.map((v) => ratio(s.wallMedianMs[v], s.lowerBoundMs)),
        'as near 1 as possible',
      ],
    );
  }
  rows.push(
    [
      'ssh connections per host per deploy (mean over hosts)',
      ...VARIANTS.map((v) => `**${fix(f.connectionsPerHost[v])}**`),
      '2 (the confirmation opens its own)',
    ],
    ['  of which the jump host accepted', ...VARIANTS.map((v) => String(f.jumpConnections[v])), '1'],
    ['  each internal host (mean)', ...VARIANTS.map((v) => fix(f.internalConnections[v])), '1'],
  );
  if (f.redeploy) {
    const r = f.redeploy;
    rows.push(
      [
        're-deploy, unchanged fleet: uplink bytes ÷ unique',
        `${ratio(r.bytesRatio, 1)} (${(r.txBytes / 1024).toFixed(0)} KiB)`,
        '',
        '',
        '~0',
      ],
      ['re-deploy: time ÷ first deploy', `${ratio(r.timeRatio, 1)} (${seconds(r.wallMs)})`, '', '', ''],
      [
        're-deploy: store paths copied (first deploy)',
        `**${r.copiedPaths ?? 'n/a'}** (${r.firstCopiedPaths ?? 'n/a'})`,
        '',
        '',
        '0',
      ],
    );
  }
  const lines = [
    '## Fleet deploy: uplink bytes, wall time, connections, re-deploy',
    '',
    `Fleet: 1 jump/store host (\`portico\`) + ${f.hosts - 1} internal hosts behind it, each variant on a fresh fleet ` +
      `(empty stores). The www system's closure is ${mib(p.www.bytes)} over ${p.www.paths} store paths; ` +
      `unique closure bytes of both systems: ${mib(p.unique.bytes)} (${p.unique.paths} paths, \`nix-store -q --size\`). ` +
      "Bytes are the deployer uplink's tx counter (everything: ssh, TCP/IP and Ethernet headers).",
    '',
    table(head, rows),
    '',
  ];
  if (f.shaped) {
    lines.push(
      `Lower bound: unique bytes at ${f.shaped.mbit} Mbit/s plus one activation ` +
        `(${seconds(f.shaped.oneActivationMs)}, the fastest plain-ssh activation seen). It leaves out the fan-out ` +
        `behind the jump host: there nix-hive's ${f.hosts - 1} internal hosts substitute the closure from the jump ` +
        `host over ssh (the internal-network row), and on this machine all ${f.hosts} hosts share its CPUs, so that ` +
        'encrypted fan-out, not the uplink, is most of the time nix-hive spends above the bound.',
    );
  }
  lines.push(
    `Besides the deployer's connections, nix-hive's instances opened ${f.substituterConnections['nix-hive']} ` +
      'connections to the jump host to substitute from its store (host to host, inside the fleet).',
    '',
  );
  return lines.join('\n');
}

function scaleSection(s: ScaleResults): string {
  const kib = (x: number | undefined) => (x === undefined ? 'n/a' : `${Math.round(x / 1024)} MiB`);
  const rows = s.rows.map((r, i) => {
    const prev = s.rows[i - 1];
    const growth = prev ? `${ratio(r.planMs, prev.planMs)} / ${ratio(r.cliBuildMs, prev.cliBuildMs)}` : '—';
    return [
      String(r.n),
      String(r.steps),
      seconds(r.resolveMs),
      `**${seconds(r.planMs)}**`,
      `${((r.planMs / r.n) * 1000).toFixed(1)} µs`,
      kib(r.inProcessRssKiB),
      seconds(r.cliBuildMs),
      kib(r.cliBuildRssKiB),
      seconds(r.cliPlanMs),
      kib(r.cliPlanRssKiB),
      prev ? `×${r.n / prev.n}: ${growth}` : '—',
    ];
  });
  return [
    '## Planning at scale',
    '',
    'Synthetic inventories: 100 systems, 50 store hosts in jump chains of 5, every other instance behind a store. ' +
      'In-process: `resolveHive` and `planDeploy` of every instance (best of the reps, a fresh process per size). ' +
      'CLI (best of the reps): the whole `nix-hive build --no build` (load the JSON config, check it in three layers, select, print the ' +
      `resolved inventory) and \`nix-hive plan --json\`; \`nix-hive --help\` alone takes ${seconds(s.cliStartMs)} (node + tsx).`,
    '',
    table(
      [
        'instances',
        'plan steps',
        'resolve',
        'plan (goal < 0.3 s at 10k)',
        'plan per instance',
        'peak RSS',
        'CLI build --no build',
        'peak RSS',
        'CLI plan --json',
        'peak RSS',
        'growth: plan / CLI build',
      ],
      rows,
    ),
    '',
  ].join('\n');
}

function overheadSection(o: OverheadResults): string {
  const per = (x: number) => `${((x / o.n) * 1000).toFixed(0)} µs`;
  const l = o.listr;
  const keptUp = l.forwarded >= l.events;
  return [
    '## Orchestration overhead',
    '',
    `\`deploy()\` of ${o.n} synthetic instances with \`spawn\` and \`connect\` injected to answer at once ` +
      "(a measurement of nix-hive's own CPU, not a deploy test): planning, the DAG runner, limits, events.",
    '',
    table(
      ['figure', 'events only', 'with the listr2 view'],
      [
        ['CPU per instance', `**${per(o.bare.cpuMs)}**`, per(l.cpuMs)],
        [
          'CPU total / wall',
          `${seconds(o.bare.cpuMs)} / ${seconds(o.bare.wallMs)}`,
          `${seconds(l.cpuMs)} / ${seconds(l.wallMs)}`,
        ],
        ['events', String(o.bare.events), `${l.forwarded} of ${l.events} given to the view`],
        ['time inside the view per event', '—', `${(l.sinkMs / Math.max(1, l.forwarded)).toFixed(2)} ms`],
        [
          'event-loop delay p99 / max',
          `${fix(o.bare.loopDelayP99Ms, 0)} / ${fix(o.bare.loopDelayMaxMs, 0)} ms`,
          `${fix(l.loopDelayP99Ms, 0)} / ${fix(l.loopDelayMaxMs, 0)} ms`,
        ],
        ['terminal output', '—', mib(o.viewBytes)],
      ],
    ),
    '',
    keptUp
      ? `The listr2 view kept up: it spent ${seconds(l.sinkMs)} on ${l.events} events.`
      : `**The listr2 view does not keep up**: after ${seconds(l.sinkMs)} (its budget) it had taken ${l.forwarded} of ` +
        `${l.events} events; at ${(l.sinkMs / Math.max(1, l.forwarded)).toFixed(1)} ms per event the whole run would ` +
        `spend ≈ ${seconds((l.sinkMs / Math.max(1, l.forwarded)) * l.events)} on the main thread in the view.`,
    '',
  ].join('\n');
}

/** One table of the headline figures, for the main README: comparisons as ratios, the rest nix-hive's own. */
export function headlineTable(r: BenchResults): string {
  const rows: string[][] = [];
  const only = (figure: string, value: string, goal: string) => [figure, value, '—', '—', goal];
  const f = r.fleet?.figures;
  if (f) {
    rows.push([
      'uplink bytes ÷ unique closure bytes',
      ...VARIANTS.map((v) => ratio(f.bytesRatio[v], 1)),
      '≤ 1.05',
    ]);
    if (f.shaped) {
      rows.push(
        [
          `wall time ÷ nix-hive's (${f.shaped.mbit} Mbit/s uplink, median of ${f.shaped.rounds})`,
          ...VARIANTS.map((v) => ratio(f.shaped!.wallRatioToHive[v], 1)),
          '',
        ],
        [
          'wall time ÷ lower bound (unique bytes at the uplink rate + one activation)',
          ...VARIANTS.map((v) => ratio(f.shaped!.wallMedianMs[v], f.shaped!.lowerBoundMs)),
          '',
        ],
      );
    }
    rows.push([
      'ssh connections per host per deploy',
      ...VARIANTS.map((v) => fix(f.connectionsPerHost[v])),
      '2',
    ]);
    if (f.redeploy)
      rows.push(
        only(
          're-deploy of an unchanged fleet: paths copied; bytes ÷ unique; time ÷ first',
          `${f.redeploy.copiedPaths ?? 'n/a'}; ${ratio(f.redeploy.bytesRatio, 1)}; ${ratio(f.redeploy.timeRatio, 1)}`,
          '0',
        ),
      );
  }
  if (r.relay) rows.push(...relayHeadlineRows(r.relay).map((x) => only(x[0]!, x[1]!, x[2]!)));
  if (r.perhost) rows.push(...perHostHeadlineRows(r.perhost).map((x) => only(x[0]!, x[1]!, x[2]!)));
  if (r.compress) rows.push(...compressHeadlineRows(r.compress).map((x) => only(x[0]!, x[1]!, x[2]!)));
  if (r.keys) rows.push(...keysHeadlineRows(r.keys).map((x) => only(x[0]!, x[1]!, x[2]!)));
  if (r.eval) rows.push(...evalHeadlineRows(r.eval).map((x) => only(x[0]!, x[1]!, x[2]!)));
  if (r.cli) rows.push(...cliHeadlineRows(r.cli).map((x) => only(x[0]!, x[1]!, x[2]!)));
  const s = r.scale;
  if (s) {
    const at = (n: number) => s.rows.find((x) => x.n === n);
    const k10 = at(10_000);
    if (k10) rows.push(only('plan of 10,000 instances (in-process)', seconds(k10.planMs), '< 0.3 s'));
    const growth = s.rows
      .slice(1)
      .map((x, i) => `${ratio(x.planMs, s.rows[i]!.planMs)} (×${x.n / s.rows[i]!.n})`)
      .join(', ');
    if (growth)
      rows.push(
        only('plan time growth, ' + s.rows.map((x) => `${x.n / 1000}k`).join(' → '), growth, 'near-linear'),
      );
    const last = s.rows.at(-1);
    if (last)
      rows.push(
        only(
          `CLI \`build --no build\`, ${last.n / 1000}k instances: time; peak RSS`,
          `${seconds(last.cliBuildMs)}; ${last.cliBuildRssKiB ? Math.round(last.cliBuildRssKiB / 1024) + ' MiB' : 'n/a'}`,
          '',
        ),
      );
  }
  const o = r.overhead;
  if (o) {
    rows.push(
      only(
        `orchestration CPU per instance (${o.n} synthetic)`,
        `${((o.bare.cpuMs / o.n) * 1000).toFixed(0)} µs`,
        '',
      ),
    );
    rows.push(
      only(
        'listr2 view: time per event',
        `${(o.listr.sinkMs / Math.max(1, o.listr.forwarded)).toFixed(1)} ms${o.listr.forwarded < o.listr.events ? ' (does not keep up)' : ''}`,
        'keeps up',
      ),
    );
  }
  return table(['figure', ...VARIANTS.map((v) => VARIANT_LABEL[v]), 'goal'], rows);
}

export function renderMarkdown(r: BenchResults): string {
  const parts = [
    '# nix-hive benchmark results',
    '',
    `Machine: ${machineLine(r.machine)}.`,
    '',
    `Run ${r.startedAt} (\`${['npm run bench', ...(r.argv.length ? ['--', ...r.argv] : [])].join(' ')}\`), ` +
      `${seconds(r.durationMs)} in all; load average ${r.load.start.toFixed(1)} at the start, ` +
      `${r.load.end.toFixed(1)} at the end. Figures are ratios measured side by side in this one run.`,
    '',
    '![chart](chart.svg)',
    '',
    '## Headline figures',
    '',
    headlineTable(r),
    '',
  ];
  if (r.fleet) parts.push(fleetSection(r.fleet.prepared, r.fleet.figures));
  if (r.relay) parts.push(relaySection(r.relay));
  if (r.perhost) parts.push(perHostSection(r.perhost));
  if (r.compress) parts.push(compressSection(r.compress));
  if (r.keys) parts.push(keysSection(r.keys));
  if (r.eval) parts.push(evalSection(r.eval));
  if (r.cli) parts.push(cliSection(r.cli));
  if (r.scale) parts.push(scaleSection(r.scale));
  if (r.overhead) parts.push(overheadSection(r.overhead));
  parts.push('## Inventory import', '', r.importNote ?? 'not run', '');
  parts.push('## Fleet diff', '', r.diffNote ?? 'not run', '');
  if (r.notes.length) parts.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return parts.join('\n');
}
