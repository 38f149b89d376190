// The CLI start-up section (`npm run bench -- --only cli`; no fleet, no root): the median of N starts of
// `nix-hive --help`, `--version` and `ssh-config -c example`, each round in turn beside `node -e 0` (the
// floor), through the compiled bin (dist/, fresh) and, for comparison, through the TypeScript sources
// (NIX_HIVE_SOURCES=1: tsx compiles on every start, as before the bundle).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildDist, isFresh } from '../bin/dist.mjs';
import { median, seconds } from './stats.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/nix-hive.mjs', import.meta.url));

export interface StartupCase {
  name: string;
  argv: string[];
  /** Goal for the compiled median, seconds (the issue's). */
  goal?: number;
}

export const STARTUP_CASES: StartupCase[] = [
  { name: 'node -e 0 (floor)', argv: ['-e', '0'] },
  { name: 'nix-hive --help', argv: [BIN, '--help'], goal: 0.25 },
  { name: 'nix-hive --version', argv: [BIN, '--version'] },
  { name: 'nix-hive ssh-config -c example', argv: [BIN, 'ssh-config', '-c', 'example'], goal: 0.4 },
];

export interface StartupRow {
  name: string;
  goal?: number;
  /** Medians in ms: compiled bin, and through the sources (tsx) — absent for the floor. */
  compiledMs: number;
  sourcesMs?: number;
  /** Median CPU time (user + system, all threads) of a start, ms: what load on the machine does not inflate. */
  compiledCpuMs: number;
  sourcesCpuMs?: number;
}

export interface StartupResults {
  starts: number;
  rows: StartupRow[];
}

/** CPU time of this process's reaped children so far (cutime + cstime of /proc/self/stat), ms. */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3, so cutime (16) and cstime (17) are at 13 and 14 here; 100 ticks/s.
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

interface Sample {
  ms: number;
  cpuMs: number;
}

function once(argv: string[], sources: boolean): Sample {
  const env: NodeJS.ProcessEnv = { ...process.env, NIX_HIVE_SOURCES: sources ? '1' : '' };
  delete env.NIX_HIVE_FLEET;
  const cpu0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0)
    throw new Error(`${argv.join(' ')} exited ${r.status}: ${String(r.stderr).slice(-500)}`);
  return { ms, cpuMs: childrenCpuMs() - cpu0 };
}

/** `starts` rounds; each round runs every case once (compiled, then through the sources), in turn. */
export async function cliStartup(starts: number, log: (l: string) => void): Promise<StartupResults> {
  if (!isFresh()) await buildDist();
  const compiled = STARTUP_CASES.map(() => [] as Sample[]);
  const sources = STARTUP_CASES.map(() => [] as Sample[]);
  for (const c of STARTUP_CASES) once(c.argv, false); // warm-up: page cache, tsx's compile cache
  for (let r = 0; r < starts; r++) {
    STARTUP_CASES.forEach((c, i) => {
      compiled[i]!.push(once(c.argv, false));
      if (c.argv[0] === BIN) sources[i]!.push(once(c.argv, true));
    });
  }
  const med = (xs: Sample[], k: keyof Sample) => median(xs.map((x) => x[k]));
  const rows: StartupRow[] = STARTUP_CASES.map((c, i) => ({
    name: c.name,
    ...(c.goal !== undefined ? { goal: c.goal } : {}),
    compiledMs: med(compiled[i]!, 'ms'),
    compiledCpuMs: med(compiled[i]!, 'cpuMs'),
    ...(sources[i]!.length
      ? { sourcesMs: med(sources[i]!, 'ms'), sourcesCpuMs: med(sources[i]!, 'cpuMs') }
      : {}),
  }));
  for (const row of rows)
    log(
      `  ${row.name}: ${seconds(row.compiledMs)}, CPU ${seconds(row.compiledCpuMs)}` +
        (row.sourcesMs ? ` (through tsx ${seconds(row.sourcesMs)}, CPU ${seconds(row.sourcesCpuMs!)})` : ''),
    );
  return { starts, rows };
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export function cliHeadlineRows(r: StartupResults): string[][] {
  const floor = r.rows[0]!.compiledMs;
  return r.rows
    .filter((x) => x.goal !== undefined)
    .map((x) => [
      `CLI \`${x.name.replace(/^nix-hive /, '')}\`: median of ${r.starts} starts (floor \`node -e 0\` ${s(floor)})`,
      `${s(x.compiledMs)}, CPU ${s(x.compiledCpuMs)} (through tsx ${x.sourcesMs ? s(x.sourcesMs) : 'n/a'})`,
      `≤ ${x.goal} s`,
    ]);
}

export function cliSection(r: StartupResults): string {
  const floor = r.rows[0]!.compiledMs;
  const lines = [
    '## CLI start-up',
    '',
    `Median of ${r.starts} starts, each round running every command in turn beside \`node -e 0\`; the bin runs the`,
    'compiled bundle (dist/, rebuilt when a source changes); "through tsx" is the same command with',
    '`NIX_HIVE_SOURCES=1` (the TypeScript sources compiled on start, as before the bundle). CPU is the user +',
    "system time of all the start's threads (load on a shared machine inflates the wall time, much less the CPU).",
    '',
    '| command | compiled: wall | − floor | CPU | through tsx: wall | CPU | tsx ÷ compiled: wall; CPU | goal (wall) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const x of r.rows) {
    const tsx = x.sourcesMs !== undefined && x.sourcesCpuMs !== undefined;
    lines.push(
      `| \`${x.name}\` | **${s(x.compiledMs)}** | ${x === r.rows[0] ? '' : s(x.compiledMs - floor)} | ` +
        `${s(x.compiledCpuMs)} | ${tsx ? s(x.sourcesMs!) : ''} | ${tsx ? s(x.sourcesCpuMs!) : ''} | ` +
        `${tsx ? `${(x.sourcesMs! / x.compiledMs).toFixed(2)}; ${(x.sourcesCpuMs! / x.compiledCpuMs).toFixed(2)}` : ''} | ` +
        `${x.goal !== undefined ? `≤ ${x.goal} s` : ''} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
