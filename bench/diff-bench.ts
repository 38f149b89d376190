// The diff at scale (issue 20): `fleetDiff` over the scale bench's synthetic instances (bench/synthetic.ts)
// once their running systems are known. Every ssh round trip and local nix query is a stand-in that answers
// after a fixed latency with a 1,500-path closure, so the time measured is the diff's own work plus one
// remote read (and one dry-activate) per distinct (running → new) pair. Run: `npx tsx bench/diff-bench.ts`.
import { fleetDiff } from '../lib/diff/fleet-diff.ts';
import type { InstanceReading } from '../lib/diff/types.ts';
import type { SpawnResult } from '../lib/exec/spawn.ts';
import { SCALE_SHAPE, syntheticConfig } from './synthetic.ts';

const CLOSURE = 1500;
const LATENCY_MS = 40;
const hash = (s: string) => {
  let h = 5381;
  for (const c of s) h = (h * 33 + c.charCodeAt(0)) >>> 0;
  return h.toString(36).padStart(8, '0').repeat(4).slice(0, 32);
};
/** A system's closure: shared paths, a few of its own (another version, another hash). */
function closure(system: string): string {
  const paths: string[] = [];
  for (let i = 0; i < CLOSURE; i++) {
    const own = i % 100 === 0;
    const name = `pkg${i}-${own ? `1.${system.length % 7}.${i}` : `2.${i}`}`;
    paths.push(`/nix/store/${hash(own ? system + name : name)}-${name}`);
  }
  paths.push(system);
  const sizes = paths.map((_, i) => String(1000 + i));
  return `${paths.join('\n')}\n--\n${sizes.join('\n')}\n--\n`;
}
const result = (stdout: string, stderr = ''): SpawnResult => ({
  command: 'sh',
  args: [],
  exitCode: 0,
  signal: undefined,
  timedOut: false,
  stdout,
  stderr,
  durationMs: LATENCY_MS,
});
const later = <T>(v: T) => new Promise<T>((r) => setTimeout(() => r(v), LATENCY_MS));

export interface DiffBenchRow {
  instances: number;
  pairs: number;
  remoteCalls: number;
  seconds: number;
}

/** One run: `instances` synthetic instances, `targets` distinct new systems, `running` distinct running ones. */
export async function diffRun(instances: number, targets: number, running: number): Promise<DiffBenchRow> {
  const config = syntheticConfig({
    instances,
    ...SCALE_SHAPE,
    systems: Math.min(SCALE_SHAPE.systems, instances),
  });
  const names = Object.keys(config.instances!);
  const systems = Object.keys(config.systems!);
  const built = Object.fromEntries(
    systems.map((s, k) => [s, `/nix/store/${hash(`new-${k % targets}`)}-nixos-system-${k % targets}-25.05`]),
  );
  const boot = {
    kernel: '/nix/store/k',
    initrd: '/nix/store/i',
    'kernel-modules': '/nix/store/m',
    'kernel-params': '',
  };
  const readings: InstanceReading[] = names.map((instance, i) => ({
    instance,
    system: config.instances![instance]!.system!,
    running: `/nix/store/${hash(`old-${i % running}`)}-nixos-system-${i % running}-24.11`,
    booted: boot,
  }));
  let remoteCalls = 0;
  const closures = new Map<string, string>();
  const closureOf = (p: string) => closures.get(p) ?? (closures.set(p, closure(p)), closures.get(p)!);
  // The stand-ins' answers are made before the clock starts: only the diff is timed.
  for (const r of readings) closureOf(r.running!);
  for (const p of Object.values(built)) closureOf(p);
  const t0 = performance.now();
  const diff = await fleetDiff({
    targets: readings.map((r) => ({ instance: r.instance, system: r.system })),
    built,
    readings,
    parallel: 10,
    remote: () => (argv) => {
      remoteCalls++;
      if (argv[1] === 'dry-activate')
        return later(result('', 'would restart the following units: app.service\n'));
      return later(result(closureOf(argv.at(-1)!)));
    },
    local: (argv) => later(result(argv[3] === 'nix-hive-closure' ? closureOf(argv.at(-1)!) : '\n\n\n\n')),
  });
  const seconds = (performance.now() - t0) / 1000;
  return { instances, pairs: diff.blocks.length, remoteCalls, seconds };
}

/** The runs side by side, as a markdown table and a closing line (`--only diff` of `just bench`). */
export async function diffBench(): Promise<{ rows: DiffBenchRow[]; note: string }> {
  const runs: Array<[number, number, number]> = [
    [100, 2, 1],
    [1000, 2, 1],
    [10000, 2, 1],
    [1000, 10, 2],
    [1000, 50, 2],
  ];
  await diffRun(100, 2, 1); // warm-up (module loading, JIT)
  const rows: DiffBenchRow[] = [];
  // Best of 3 (the machine may be shared), each row's rounds in turn with the others'.
  for (let round = 0; round < 3; round++)
    for (const [i, [n, t, r]] of runs.entries()) {
      const row = await diffRun(n, t, r);
      if (!rows[i] || row.seconds < rows[i]!.seconds) rows[i] = row;
    }
  const base = rows[1]!;
  const lines = [
    `\`fleetDiff\` with the running systems known; every remote or local nix query answers after ${LATENCY_MS} ms with a ${CLOSURE.toLocaleString('en-US')}-path closure; 10 pairs read at once; best of 3.`,
    '',
    '| instances | distinct pairs | remote calls | seconds | ÷ (1,000 instances, 2 pairs) |',
    '| ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (row) =>
        `| ${row.instances.toLocaleString('en-US')} | ${row.pairs} | ${row.remoteCalls} | ${row.seconds.toFixed(3)} | ${(row.seconds / base.seconds).toFixed(2)} |`,
    ),
    '',
    `1,000 instances: ${base.seconds.toFixed(3)} s (target: under 2 s).`,
  ];
  return { rows, note: lines.join('\n') };
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write((await diffBench()).note + '\n');
