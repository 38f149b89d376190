// The evaluation benchmark (issue 21), no fleet: section `eval` of bench/run.ts (`--only eval`), or alone:
// `node --import tsx bench/eval-bench.ts [--systems 24] [--cost 500] [--out DIR]`. N systems of the stub nixpkgs whose evaluation costs about what a real NixOS
// system's does (`hive.evalCost`), side by side in one run: Nix's evaluation of all of them one after another
// (a nix-build each) and in one process (one nix-build -A … -A …, what nix-hive did before), then
// `nix-hive build` with an empty evaluation cache and again with nothing changed. For each: wall time and the
// peak of the PSS summed over the Nix processes of its process tree (/proc/<pid>/smaps_rollup, sampled);
// evaluator processes are counted by a nix-instantiate wrapper first on PATH. Alone, it writes
// eval-results.md/.json into --out.
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { kibField } from '../lib/exec/memory.ts';
import { HIVE_EXPRESSION } from '../lib/nix/build.ts';
import { STUB_NIXPKGS } from '../test/fleet/harness/inventory-json.ts';
import { describeMachine, machineLine } from './machine.ts';

const BIN = fileURLToPath(new URL('../bin/nix-hive.mjs', import.meta.url));
const NIX_ENV = {
  NIX_CONFIG: 'substituters =\nsandbox = false\nbuild-users-group =\n',
  NIX_REMOTE: 'local',
};

/** The variant running now (its own process group), stopped with the bench on SIGINT/SIGTERM. */
let running: number | undefined;

export interface Measure {
  wallS: number;
  peakMiB: number;
  /** The largest single process's peak (one evaluator). */
  maxProcessMiB: number;
  evaluators: number;
}

/** Nix processes under `root` (by /proc/<pid>/stat's ppid), with their PSS in KiB. */
async function treePss(root: number): Promise<Map<number, number>> {
  const parent = new Map<number, number>();
  const comm = new Map<number, string>();
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const stat = await readFile(`/proc/${d}/stat`, 'utf8').catch(() => '');
    const m = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
    if (m) {
      parent.set(Number(d), Number(m[2]));
      comm.set(Number(d), m[1]!);
    }
  }
  const out = new Map<number, number>();
  for (const pid of parent.keys()) {
    let p: number | undefined = pid;
    while (p !== undefined && p > 1 && p !== root) p = parent.get(p);
    if (p !== root || !/^nix/.test(comm.get(pid) ?? '')) continue;
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
    const kib = kibField(rollup, 'Pss');
    if (kib !== undefined) out.set(pid, kib);
  }
  return out;
}

/** Runs argv, sampling its tree's memory every 200 ms. */
async function measure(argv: string[], env: Record<string, string>, spyLog: string): Promise<Measure> {
  await writeFile(spyLog, '');
  const started = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: true,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running = child.pid;
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  let peak = 0;
  let maxProcess = 0;
  let exited = false;
  void done.then(() => (exited = true));
  while (!exited) {
    const pss = await treePss(child.pid!);
    peak = Math.max(
      peak,
      [...pss.values()].reduce((a, b) => a + b, 0),
    );
    maxProcess = Math.max(maxProcess, ...pss.values(), 0);
    await Promise.race([done, new Promise((r) => setTimeout(r, 200))]);
  }
  const code = await done;
  running = undefined;
  if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}:\n${stderr.slice(-2000)}`);
  const calls = (await readFile(spyLog, 'utf8')).split('\n').filter((l) => l.includes('--eval'));
  return {
    wallS: (performance.now() - started) / 1000,
    peakMiB: peak / 1024,
    maxProcessMiB: maxProcess / 1024,
    evaluators: calls.length,
  };
}

export interface EvalBenchResults {
  systems: number;
  cost: number;
  loadBefore: number[];
  loadAfter: number[];
  /** One after another (a nix-build each): wall time summed, the largest peak (one system's). */
  seq: Measure;
  /** One nix-build -A … -A … for all. */
  all: Measure;
  /** nix-hive build with an empty evaluation cache (the pool). */
  first: Measure;
  /** nix-hive build again, nothing changed. */
  again: Measure;
}

export async function evalBench(o: {
  systems: number;
  cost: number;
  log: (line: string) => void;
}): Promise<EvalBenchResults> {
  const { log } = o;
  const N = o.systems;
  const COST = o.cost;
  const dir = await mkdtemp(path.join(tmpdir(), 'nix-hive-evalbench-'));
  const stop = () => {
    if (running) process.kill(-running, 'SIGKILL');
    void rm(dir, { recursive: true, force: true }).then(() => process.exit(130));
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, stop);
  try {
    // A wrapper first on PATH logs every nix-instantiate call (the evaluators) and runs the real one.
    const spyBin = path.join(dir, 'spy-bin');
    const spyLog = path.join(dir, 'spy.log');
    await mkdir(spyBin);
    const real = (process.env.PATH ?? '').split(':').map((d) => path.join(d, 'nix-instantiate'));
    const found = (
      await Promise.all(
        real.map((p) =>
          readFile(p)
            .then(() => p)
            .catch(() => ''),
        ),
      )
    ).find(Boolean);
    await writeFile(
      path.join(spyBin, 'nix-instantiate'),
      `#!/bin/sh\nprintf '%s\\n' "$*" >> ${JSON.stringify(spyLog)}\nexec ${JSON.stringify(found)} "$@"\n`,
    );
    await chmod(path.join(spyBin, 'nix-instantiate'), 0o755);
    const env = { ...NIX_ENV, PATH: `${spyBin}:${process.env.PATH}` };
    // The hive: N systems, each its own module (a nonce keeps this run's derivations its own).
    const nonce = Date.now().toString(36);
    const hive = path.join(dir, 'hive');
    await mkdir(path.join(hive, 'modules'), { recursive: true });
    const names = Array.from({ length: N }, (_v, i) => `sys-${i + 1}`);
    const systems: Record<string, unknown> = {};
    const spec: Record<string, unknown> = {};
    for (const [i, name] of names.entries()) {
      const file = path.join(hive, 'modules', `${name}.nix`);
      await writeFile(
        file,
        `{ ... }: { networking.hostName = "${name}-${nonce}"; hive.evalCost = ${COST}; }\n`,
      );
      systems[name] = { modules: [`./modules/${name}.nix`] };
      spec[`s${i}`] = { name, system: 'x86_64-linux', modules: [file] };
    }
    const instances = Object.fromEntries(
      names.map((n, i) => [`${n}-1`, { system: n, address: `10.0.0.${i + 1}` }]),
    );
    const config = path.join(hive, 'hive.config.json');
    await writeFile(
      config,
      JSON.stringify({ paths: { nixpkgs: STUB_NIXPKGS }, systems, instances }, null, 2),
    );
    const specFile = path.join(dir, 'spec.json');
    await writeFile(specFile, JSON.stringify({ systems: spec }));
    const nixBuild = (attrs: string[]) => [
      'nix-build',
      HIVE_EXPRESSION,
      '--argstr',
      'specFile',
      specFile,
      '-I',
      `nixpkgs=${STUB_NIXPKGS}`,
      ...attrs.flatMap((a) => ['-A', a]),
      '--no-out-link',
    ];
    const hiveBuild = [process.execPath, BIN, 'build', '-c', config, '--no-state'];
    const loadBefore = loadavg();
    log(
      `eval bench: ${N} systems, hive.evalCost ${COST}; load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
    );
    await measure([process.execPath, BIN, '--help'], env, spyLog); // compiles dist/ if stale, not timed
    // One process for all first: it also builds the toplevels, so no later variant pays for that.
    const all = await measure(nixBuild(Object.keys(spec)), env, spyLog);
    log(`  one process for all: ${all.wallS.toFixed(1)} s, ${all.peakMiB.toFixed(0)} MiB`);
    const seq: Measure = { wallS: 0, peakMiB: 0, maxProcessMiB: 0, evaluators: 0 };
    for (const attr of Object.keys(spec)) {
      const m = await measure(nixBuild([attr]), env, spyLog);
      seq.wallS += m.wallS;
      seq.peakMiB = Math.max(seq.peakMiB, m.peakMiB);
      seq.maxProcessMiB = Math.max(seq.maxProcessMiB, m.maxProcessMiB);
    }
    log(`  one after another: ${seq.wallS.toFixed(1)} s, one system ${seq.peakMiB.toFixed(0)} MiB`);
    const first = await measure(hiveBuild, env, spyLog);
    log(
      `  nix-hive build: ${first.wallS.toFixed(1)} s, ${first.peakMiB.toFixed(0)} MiB, ${first.evaluators} evaluators`,
    );
    const again = await measure(hiveBuild, env, spyLog);
    log(`  nix-hive build, unchanged: ${again.wallS.toFixed(2)} s, ${again.evaluators} evaluators`);
    return { systems: N, cost: COST, loadBefore, loadAfter: loadavg(), seq, all, first, again };
  } finally {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.off(sig, stop);
    await rm(dir, { recursive: true, force: true });
  }
}

const fixed = (xs: number[]) => xs.map((l) => l.toFixed(2)).join(', ');

/** The headline rows of bench/run.ts: the pool's wall time and peak against the goals. */
export function evalHeadlineRows(r: EvalBenchResults): string[][] {
  return [
    [
      `${r.systems} systems, nix-hive build: wall ÷ one after another; peak PSS ÷ one system`,
      `${(r.first.wallS / r.seq.wallS).toFixed(2)}; ${(r.first.peakMiB / r.seq.peakMiB).toFixed(2)}`,
      '≤ 0.75; ≤ 2.5',
    ],
    [
      'nix-hive build, nothing changed: wall ÷ first build; evaluators',
      `${(r.again.wallS / r.first.wallS).toFixed(3)}; ${r.again.evaluators}`,
      '≤ 0.1; 0',
    ],
  ];
}

/** The section's markdown: the four variants side by side. */
export function evalSection(r: EvalBenchResults): string {
  const { seq } = r;
  const one = seq.peakMiB;
  const row = (name: string, m: Measure, goal: string) =>
    `| ${name} | ${m.wallS.toFixed(1)} | ${(m.wallS / seq.wallS).toFixed(2)} | ${m.peakMiB.toFixed(0)} | ${(m.peakMiB / one).toFixed(2)} | ${m.maxProcessMiB.toFixed(0)} | ${m.evaluators} | ${goal} |`;
  return [
    `## Evaluation`,
    ``,
    `${r.systems} systems of the stub nixpkgs, \`hive.evalCost = ${r.cost}\` each.`,
    `Load average (1, 5, 15 min) before: ${fixed(r.loadBefore)}; after: ${fixed(r.loadAfter)}.`,
    ``,
    `| variant | wall s | ÷ one after another | peak PSS MiB | ÷ one system | largest process MiB | evaluators (nix-instantiate) | goal |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- |`,
    row('one after another (a nix-build each)', seq, ''),
    row('one process for all (nix-build -A … -A …)', r.all, ''),
    row('nix-hive build (pool, empty cache)', r.first, 'wall ≤ 0.75, peak ≤ 2.5'),
    `| nix-hive build, nothing changed | ${r.again.wallS.toFixed(2)} | ${(r.again.wallS / r.first.wallS).toFixed(3)} × the first nix-hive build | ${r.again.peakMiB.toFixed(0)} | — | ${r.again.maxProcessMiB.toFixed(0)} | ${r.again.evaluators} | 0 evaluators, ≤ 0.1 × first |`,
    ``,
    `One system's peak: ${one.toFixed(0)} MiB (the largest of the one-after-another runs). Peak PSS is summed over`,
    `the Nix processes (comm nix*) of the variant's process tree, sampled every 200 ms.`,
    ``,
  ].join('\n');
}

/** Alone: runs the section and writes eval-results.md/.json into --out. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      systems: { type: 'string', default: '24' },
      cost: { type: 'string', default: '500' },
      out: { type: 'string', default: fileURLToPath(new URL('.', import.meta.url)) },
    },
  });
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const r = await evalBench({ systems: Number(values.systems), cost: Number(values.cost), log });
  const machine = machineLine(await describeMachine());
  const md = [
    `# Evaluation benchmark`,
    ``,
    `Run ${new Date().toISOString()}: ${machine}.`,
    ``,
    evalSection(r).replace(/^## Evaluation\n\n/, ''),
  ].join('\n');
  const out = values.out!;
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, 'eval-results.md'), md);
  await writeFile(path.join(out, 'eval-results.json'), JSON.stringify({ machine, ...r }, null, 2) + '\n');
  process.stdout.write(md);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
