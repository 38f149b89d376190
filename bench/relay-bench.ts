// The relay section (issue 16): 1 store host + N hosts, every host's NIC shaped (tc tbf both ways, default
// 100 Mbit/s) so the store host's NIC is the bottleneck as on real hardware. The star (--relay-fanout 0)
// and the relay tree (--relay-fanout k) each deploy to a fresh fleet, side by side in one run, alternating
// over the rounds: wall time, store-host egress ÷ closure, rounds of the tree, the per-hop time read off
// the step-end events, and a model line for 1,000 and 10,000 instances computed from it.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startFleet } from '../test/fleet/harness/fleet.ts';
import { relayRounds } from '../lib/plan/relay.ts';
import { fleetHosts, JUMP, writeHiveConfig } from './bench-hive.ts';
import { initStores, type Prepared } from './fleet-bench.ts';
import { median, ratio, seconds } from './stats.ts';
import { BIN, cliEnv, verifyDeployed } from './variants.ts';

export interface RelayRun {
  fanout: number;
  wallMs: number;
  /** Everything the store host sent, over all its legs. */
  storeTxBytes: number;
  uplinkTxBytes: number;
  rounds: number;
  /** When the store's own copy ended, and when the last copy of each round ended (ms from the start). */
  storeCopyEndMs: number;
  roundEndMs: number[];
}

export interface RelayBenchResults {
  mbit: number;
  hosts: number;
  fanout: number;
  closureBytes: number;
  runs: Array<{ star: RelayRun; relay: RelayRun }>;
  /** Medians over the runs. */
  starWallMs: number;
  relayWallMs: number;
  wallRatio: number;
  starEgressRatio: number;
  relayEgressRatio: number;
  /** The slowest round of the tree (its store children are fed k at once): one hop. */
  perHopMs: number;
  /** Star: the fan-out phase ÷ instances (the store's NIC serves them one closure after another). */
  starPerInstanceMs: number;
  model: Array<{ instances: number; rounds: number; relayMs: number; starMs: number }>;
  failures: string[];
}

/** Runs the CLI with --json, timing each step-start and step-end event as it arrives (ms from the start). */
export function deployTimed(
  args: string[],
  env: Record<string, string>,
): Promise<{
  exitCode: number;
  starts: Map<string, number>;
  ends: Map<string, number>;
  plan: any;
  report: any;
  /** The deploy's messages (`kind: message`), in order. */
  messages: string[];
  stderr: string;
}> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // BENCH_CPU_PROF=DIR: a V8 CPU profile of each deploy there (where nix-hive's own CPU goes).
    const prof = process.env.BENCH_CPU_PROF;
    const node = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
    const child = spawn(process.execPath, [...node, BIN, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const starts = new Map<string, number>();
    const ends = new Map<string, number>();
    const messages: string[] = [];
    let plan: any;
    let report: any;
    let rest = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      rest += c;
      let i: number;
      while ((i = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, i);
        rest = rest.slice(i + 1);
        if (!line.startsWith('{')) continue;
        const e = JSON.parse(line);
        if (e.kind === 'step-start') starts.set(e.step, performance.now() - t0);
        if (e.kind === 'step-end') ends.set(e.step, performance.now() - t0);
        if (process.env.BENCH_TIMELINE && (e.kind === 'step-start' || e.kind === 'step-end'))
          process.stderr.write(`TL ${(performance.now() - t0).toFixed(0)} ${e.kind} ${e.step}\n`);
        if (process.env.BENCH_TIMELINE && e.kind === 'step-log')
          process.stderr.write(`TL ${(performance.now() - t0).toFixed(0)} log ${e.step} ${e.line}\n`);
        if (e.kind === 'plan') plan = e.plan;
        if (e.kind === 'message') messages.push(String(e.text));
        if (process.env.BENCH_TIMELINE && e.kind === 'message')
          process.stderr.write(`TL ${(performance.now() - t0).toFixed(0)} message ${e.text}\n`);
        if (e.kind === 'report') report = e.report;
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ exitCode: code ?? 1, starts, ends, plan, report, messages, stderr }),
    );
  });
}

/** One deploy of the bench hive with `--relay-fanout k` on a fresh, NIC-shaped fleet. */
async function runOnce(p: Prepared, k: number, mbit: number, n: number): Promise<RelayRun> {
  const fleet = await startFleet({ hosts: fleetHosts(p.files), shapeHostsMbit: mbit, shapeUplinkMbit: mbit });
  try {
    await initStores(fleet);
    const dir = path.join(p.workDir, `relay-${k}-${fleet.runId}`);
    const config = await writeHiveConfig(p.files, dir, fleet);
    const env = await cliEnv(fleet, path.join(dir, 'home'));
    const store0 = await fleet.hosts[JUMP]!.nicBytes();
    const up0 = await fleet.uplinkBytes();
    const t0 = performance.now();
    const args = ['deploy', '-c', config, '--json', '--no-state', '--parallel', String(n + 1)];
    const r = await deployTimed([...args, '--relay-fanout', String(k)], env);
    const wallMs = performance.now() - t0;
    if (r.exitCode !== 0 || !r.report?.ok)
      throw new Error(`deploy --relay-fanout ${k} failed (exit ${r.exitCode}): ${r.stderr.slice(-1500)}`);
    await verifyDeployed(fleet, p.targets, `relay-fanout ${k}`);
    const store1 = await fleet.hosts[JUMP]!.nicBytes();
    const up1 = await fleet.uplinkBytes();
    // Round of each www copy: 1 for the store's children, the plan's relay round otherwise.
    const byRound = new Map<number, number>();
    for (const s of r.plan.steps as Array<{
      id: string;
      kind: string;
      to?: { name?: string };
      from?: unknown;
      relay?: { round: number };
    }>) {
      if (s.kind !== 'copy' || !s.from) continue;
      const round = s.relay?.round ?? 1;
      byRound.set(round, Math.max(byRound.get(round) ?? 0, r.ends.get(s.id) ?? 0));
    }
    const rounds = Math.max(1, ...(r.plan.relay?.trees ?? []).map((t: { rounds: number }) => t.rounds));
    return {
      fanout: k,
      wallMs,
      storeTxBytes: store1.tx - store0.tx,
      uplinkTxBytes: up1.tx - up0.tx,
      rounds,
      storeCopyEndMs: r.ends.get(`copy:www>${JUMP}`) ?? 0,
      roundEndMs: [...byRound].sort((a, b) => a[0] - b[0]).map(([, ms]) => ms),
    };
  } finally {
    await fleet.dispose();
  }
}

/** `rounds` alternating star / relay pairs (order flips each round), figures from the medians. */
export async function relayBench(
  p: Prepared,
  o: { mbit: number; fanout: number; rounds: number; log: (l: string) => void },
): Promise<RelayBenchResults> {
  const n = p.files.shape.internal;
  const runs: RelayBenchResults['runs'] = [];
  const failures: string[] = [];
  for (let i = 0; i < o.rounds; i++) {
    const pair: Partial<{ star: RelayRun; relay: RelayRun }> = {};
    try {
      for (const which of i % 2 ? (['relay', 'star'] as const) : (['star', 'relay'] as const)) {
        o.log(`  ${o.mbit} Mbit/s NICs, round ${i + 1}/${o.rounds}: ${which}…`);
        pair[which] = await runOnce(p, which === 'star' ? 0 : o.fanout, o.mbit, n);
        o.log(
          `    ${seconds(pair[which]!.wallMs)}, store sent ${(pair[which]!.storeTxBytes / p.www.bytes).toFixed(2)} closures`,
        );
      }
      runs.push(pair as { star: RelayRun; relay: RelayRun });
    } catch (err) {
      const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
      failures.push(`relay round ${i + 1} failed and is left out: ${msg}`);
      o.log(`    failed: ${msg}`);
    }
  }
  if (runs.length === 0) throw new Error(failures.join('; ') || 'no relay round ran');
  const med = (f: (x: { star: RelayRun; relay: RelayRun }) => number) => median(runs.map(f));
  const hops = runs.map((x) => {
    const ends = [x.relay.storeCopyEndMs, ...x.relay.roundEndMs];
    return Math.max(...ends.slice(1).map((e, i) => e - ends[i]!));
  });
  const perHopMs = median(hops);
  const starPerInstanceMs = med((x) => ((x.star.roundEndMs.at(-1) ?? 0) - x.star.storeCopyEndMs) / n);
  const relayBase = med((x) => x.relay.wallMs) - perHopMs * relayRounds(n, o.fanout);
  const starBase = med((x) => x.star.wallMs) - starPerInstanceMs * n;
  return {
    mbit: o.mbit,
    hosts: n,
    fanout: o.fanout,
    closureBytes: p.www.bytes,
    runs,
    starWallMs: med((x) => x.star.wallMs),
    relayWallMs: med((x) => x.relay.wallMs),
    wallRatio: med((x) => x.relay.wallMs / x.star.wallMs),
    starEgressRatio: med((x) => x.star.storeTxBytes / p.www.bytes),
    relayEgressRatio: med((x) => x.relay.storeTxBytes / p.www.bytes),
    perHopMs,
    starPerInstanceMs,
    model: [1000, 10_000].map((instances) => ({
      instances,
      rounds: relayRounds(instances, o.fanout),
      relayMs: relayBase + perHopMs * relayRounds(instances, o.fanout),
      starMs: starBase + starPerInstanceMs * instances,
    })),
    failures,
  };
}

/** The section of results.md. */
export function relaySection(r: RelayBenchResults): string {
  const row = (c: string[]) => `| ${c.join(' | ')} |`;
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
  const model = r.model
    .map(
      (m) =>
        `${m.instances.toLocaleString('en')}: ${m.rounds} rounds, ≈ ${seconds(m.relayMs)} against ≈ ${seconds(m.starMs)}`,
    )
    .join('; ');
  return [
    '## Relay fan-out: star against relay tree',
    '',
    `1 store host + ${r.hosts} hosts, every host's NIC shaped to ${r.mbit} Mbit/s both ways (tc tbf on its veths), ` +
      `the www closure ${mb(r.closureBytes)}. Each deploy on a fresh fleet; star (\`--relay-fanout 0\`) and relay ` +
      `(\`--relay-fanout ${r.fanout}\`) alternate, ${r.runs.length} pair(s), medians.`,
    '',
    row(['figure', 'star (k = 0)', `relay (k = ${r.fanout})`, 'goal']),
    row(['---', '---', '---', '---']),
    row(['wall time', seconds(r.starWallMs), seconds(r.relayWallMs), '']),
    row(['wall time ÷ star’s', '1.00', `**${r.wallRatio.toFixed(2)}**`, '≤ 0.5']),
    row([
      'store-host egress ÷ closure',
      r.starEgressRatio.toFixed(2),
      `**${r.relayEgressRatio.toFixed(2)}**`,
      '≤ 4.5',
    ]),
    row(['rounds of the tree', '1', String(r.runs[0]!.relay.rounds), `⌈log_k N⌉`]),
    row([
      'deployer uplink bytes ÷ closure (both systems)',
      ratio(median(r.runs.map((x) => x.star.uplinkTxBytes)), r.closureBytes),
      ratio(median(r.runs.map((x) => x.relay.uplinkTxBytes)), r.closureBytes),
      'same',
    ]),
    row([
      'time per instance (star); per round, the slowest (relay)',
      seconds(r.starPerInstanceMs),
      seconds(r.perHopMs),
      '',
    ]),
    '',
    `Model (the measured per-hop time × rounds, against the star's measured time per instance × instances): ${model}.`,
    '',
  ].join('\n');
}

/** Rows of the headline table (figure, nix-hive's value, goal). */
export function relayHeadlineRows(r: RelayBenchResults): string[][] {
  const m = r.model.map((x) => `${seconds(x.relayMs)} / ${seconds(x.starMs)}`).join('; ');
  return [
    [
      `relay (k = ${r.fanout}) wall time ÷ star's (1 store + ${r.hosts}, ${r.mbit} Mbit/s NICs)`,
      `${r.wallRatio.toFixed(2)} (${seconds(r.relayWallMs)} / ${seconds(r.starWallMs)})`,
      '≤ 0.5',
    ],
    [
      'store-host egress ÷ closure: relay; star',
      `${r.relayEgressRatio.toFixed(2)}; ${r.starEgressRatio.toFixed(2)}`,
      '≤ 4.5',
    ],
    [`rounds of the relay tree (${r.hosts} hosts, k = ${r.fanout})`, String(r.runs[0]!.relay.rounds), ''],
    [`model, 1,000; 10,000 instances behind one store: relay / star (per hop ${seconds(r.perHopMs)})`, m, ''],
  ];
}
