// The benchmark (issue 8): `just bench` / `npm run bench` as root. Runs the sections, prints the results
// as markdown tables and writes bench/results.md, bench/chart.svg and the raw figures in bench/results.json.
//   --rounds N        shaped wall-time rounds (default 3)     --mbit N          uplink shaping (default 100)
//   --internal N      hosts behind the jump host (16)          --payload SIZE    www closure payload (20M)
//   --sizes a,b,c     synthetic inventory sizes (1000,10000,50000)
//   --overhead N      synthetic instances for the overhead section (2000)
//   --view-budget MS  time the listr2 view may take before it only gets the report (10000)
//   --only LIST       some of cli,fleet,compress,relay,keys,eval,perhost,scale,overhead,import,diff
//   --out DIR         where results go (bench/)
//   --starts N        CLI start-up: starts per command (10)
//   --host-mbit N     every host's NIC in the relay section (100)   --relay-fanout K  the tree's k (4)
//   --relay-rounds N  star/relay pairs in the relay section (2)
//   --keys N          keys per host in the keys section (200)  --keys-rounds N  its rounds (1)
//   --perhost-hosts N hosts behind the store in the per-host section (120)   --perhost-rounds N (1)
//   --deployer-weight N  the per-host section's deployer CPU shares ÷ the fleet's (1: alike)
//   --small SIZE / --large SIZE   the per-host section's changes (960K / 20M)
//   --eval-systems N / --eval-cost N   the evaluation section's systems and their `hive.evalCost` (24 / 500)
//   --render FILE     only re-render results.md and chart.svg from a results.json an earlier run wrote
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { requireRoot } from '../test/fleet/harness/fleet.ts';
import { renderChart } from './chart.ts';
import { fleetFigures } from './figures.ts';
import { fleetBench, prepare } from './fleet-bench.ts';
import { importBench } from './import-bench.ts';
import { diffBench } from './diff-bench.ts';
import { describeMachine } from './machine.ts';
import { overhead } from './overhead.ts';
import { planScale } from './plan-scale.ts';
import { relayBench } from './relay-bench.ts';
import { cliStartup } from './cli-startup.ts';
import { compressBench } from './compress-bench.ts';
import { keysBench } from './keys-bench.ts';
import { evalBench } from './eval-bench.ts';
import { renderMarkdown, type BenchResults } from './report.ts';
import { seconds } from './stats.ts';
import { perHostBench, writeTimelines } from './per-host-bench.ts';

const SECTIONS = [
  'cli',
  'fleet',
  'compress',
  'relay',
  'keys',
  'eval',
  'scale',
  'overhead',
  'import',
  'diff',
  'perhost',
] as const;
const NIX_ENV = {
  // Not Debian's /etc/nix/nix.conf (absent without nix-setup-systemd): no substituters, no sandbox.
  NIX_CONFIG: 'substituters =\nsandbox = false\nbuild-users-group =\nconnect-timeout = 5\n',
  NIX_REMOTE: 'local',
};

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    mbit: { type: 'string', default: '100' },
    internal: { type: 'string', default: '16' },
    payload: { type: 'string', default: '20M' },
    'payload-paths': { type: 'string', default: '8' },
    sizes: { type: 'string', default: '1000,10000,50000' },
    overhead: { type: 'string', default: '2000' },
    'view-budget': { type: 'string', default: '10000' },
    only: { type: 'string', default: SECTIONS.join(',') },
    out: { type: 'string', default: fileURLToPath(new URL('.', import.meta.url)) },
    keep: { type: 'boolean', default: false },
    render: { type: 'string' },
    'host-mbit': { type: 'string', default: '100' },
    'relay-fanout': { type: 'string', default: '4' },
    'relay-rounds': { type: 'string', default: '2' },
    starts: { type: 'string', default: '10' },
    keys: { type: 'string', default: '200' },
    'keys-rounds': { type: 'string', default: '1' },
    'perhost-hosts': { type: 'string', default: '120' },
    'perhost-rounds': { type: 'string', default: '1' },
    'deployer-weight': { type: 'string', default: '1' },
    small: { type: 'string', default: '960K' },
    large: { type: 'string', default: '20M' },
    'eval-systems': { type: 'string', default: '24' },
    'eval-cost': { type: 'string', default: '500' },
  },
});
const int = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`--${name}: expected a whole number, got ${values[name]}`);
  return n;
};
const only = new Set(String(values.only).split(','));
const log = (line: string) => process.stderr.write(`${line}\n`);

/** In the repo's prettier style (its format check covers results.md); as is if prettier is absent. */
async function formatMarkdown(md: string, file: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(md, { ...options, parser: 'markdown' });
  } catch {
    return md;
  }
}

if (values.render) {
  // Re-render only: the figures of an earlier run (its results.json), the current report and chart code.
  const earlier = JSON.parse(await readFile(values.render, 'utf8')) as BenchResults;
  const out = String(values.out);
  await writeFile(
    path.join(out, 'results.md'),
    await formatMarkdown(renderMarkdown(earlier), path.join(out, 'results.md')),
  );
  await writeFile(path.join(out, 'chart.svg'), renderChart(earlier));
  log(`re-rendered ${path.join(out, 'results.md')} and chart.svg from ${values.render}`);
  process.exit(0);
}

const started = performance.now();
const results: BenchResults = {
  machine: await describeMachine(),
  startedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  durationMs: 0,
  argv: process.argv.slice(2),
  load: { start: loadavg()[0]!, end: 0 },
  notes: [],
};
const workDir = await mkdtemp(path.join(tmpdir(), 'nix-hive-bench-'));
let failed = false;
const section = async (name: (typeof SECTIONS)[number], fn: () => Promise<void>) => {
  if (!only.has(name)) return;
  const t0 = performance.now();
  log(`== ${name}`);
  try {
    await fn();
  } catch (err) {
    failed = true;
    const msg = err instanceof Error ? err.message : String(err);
    results.notes.push(`The ${name} section failed: ${msg.split('\n')[0]}`);
    log(`!! ${name} failed: ${err instanceof Error ? err.stack : msg}`);
  }
  log(`   ${name}: ${seconds(performance.now() - t0)}`);
};

try {
  await section('cli', async () => {
    results.cli = await cliStartup(int('starts'), log);
  });
  await section('fleet', async () => {
    requireRoot();
    const shape = {
      internal: int('internal'),
      payload: String(values.payload),
      payloadPaths: int('payload-paths'),
    };
    const prepared = await prepare(path.join(workDir, 'fleet'), shape, NIX_ENV);
    log(`   unique closure ${prepared.unique.bytes} bytes (${prepared.unique.paths} paths)`);
    const raw = await fleetBench(prepared, { rounds: int('rounds'), mbit: int('mbit'), log });
    results.fleet = { prepared, figures: fleetFigures(prepared.unique, raw) };
    results.notes.push(...raw.failures);
    await writeFile(path.join(workDir, 'fleet-raw.json'), JSON.stringify(raw, null, 2));
  });
  await section('relay', async () => {
    requireRoot();
    const shape = {
      internal: int('internal'),
      payload: String(values.payload),
      payloadPaths: int('payload-paths'),
    };
    const prepared = await prepare(path.join(workDir, 'relay'), shape, NIX_ENV);
    const o = { mbit: int('host-mbit'), fanout: int('relay-fanout'), rounds: int('relay-rounds'), log };
    results.relay = await relayBench(prepared, o);
    results.notes.push(...results.relay.failures);
  });
  await section('perhost', async () => {
    requireRoot();
    const load0 = loadavg()[0]!;
    const r = await perHostBench(path.join(workDir, 'perhost'), {
      hosts: int('perhost-hosts'),
      small: String(values.small),
      large: String(values.large),
      mbit: int('host-mbit'),
      rounds: int('perhost-rounds'),
      parallel: 10,
      deployerWeight: int('deployer-weight'),
      nixEnv: NIX_ENV,
      log,
    });
    results.perhost = { ...r, runs: [], load: { start: load0, end: loadavg()[0]! } };
    results.notes.push(...r.failures);
    await writeTimelines(r, path.join(String(values.out), 'perhost-timeline.json'));
  });
  await section('compress', async () => {
    requireRoot();
    const shape = {
      internal: int('internal'),
      payload: String(values.payload),
      payloadPaths: int('payload-paths'),
    };
    results.compress = await compressBench(workDir, shape, NIX_ENV, log);
  });
  await section('keys', async () => {
    requireRoot();
    results.keys = await keysBench(workDir, { keys: int('keys'), rounds: int('keys-rounds'), log });
  });
  await section('eval', async () => {
    results.eval = await evalBench({ systems: int('eval-systems'), cost: int('eval-cost'), log });
  });
  await section('scale', async () => {
    const sizes = String(values.sizes).split(',').map(Number);
    results.scale = await planScale(path.join(workDir, 'scale'), sizes, { reps: 3, log });
  });
  await section('overhead', async () => {
    results.overhead = await overhead(workDir, int('overhead'), int('view-budget'));
  });
  await section('import', async () => {
    results.importNote = (await importBench(5000)).note;
  });
  await section('diff', async () => {
    results.diffNote = (await diffBench()).note;
  });
} finally {
  results.durationMs = performance.now() - started;
  results.load.end = loadavg()[0]!;
  const out = String(values.out);
  const md = await formatMarkdown(renderMarkdown(results), path.join(out, 'results.md'));
  await writeFile(path.join(out, 'results.md'), md);
  await writeFile(path.join(out, 'chart.svg'), renderChart(results));
  await writeFile(path.join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(md);
  log(`wrote ${path.join(out, 'results.md')} and chart.svg in ${seconds(results.durationMs)}`);
  if (values.keep) log(`work folder kept: ${workDir}`);
  else await rm(workDir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
