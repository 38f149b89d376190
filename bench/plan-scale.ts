// Section 4, planning at scale: synthetic inventories (synthetic.ts) of 1k/10k/50k instances. Per size:
// resolve + plan in-process (a child per size, best of reps, its peak RSS), and the whole CLI:
// `nix-hive build --no build` (load, check, select, print the resolved inventory) and `nix-hive plan --json`,
// best of reps each.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild } from './child.ts';
import { SCALE_SHAPE, writeSyntheticFiles } from './synthetic.ts';
import { BIN } from './variants.ts';

const PLAN_CHILD = fileURLToPath(new URL('./plan-child.ts', import.meta.url));

export interface ScaleRow {
  n: number;
  steps: number;
  resolveMs: number;
  planMs: number;
  inProcessRssKiB: number;
  cliBuildMs: number;
  cliBuildRssKiB: number | undefined;
  cliPlanMs: number;
  cliPlanRssKiB: number | undefined;
  configBytes: number;
}

export interface ScaleResults {
  rows: ScaleRow[];
  /** `nix-hive --help`: node, tsx and the CLI's modules, the fixed part of every CLI time. */
  cliStartMs: number;
}

async function cli(args: string[], reps: number): Promise<{ ms: number; rss: number | undefined }> {
  const times: number[] = [];
  let rss: number | undefined;
  for (let i = 0; i < reps; i++) {
    const r = await runChild([process.execPath, BIN, ...args]);
    if (r.exitCode !== 0)
      throw new Error(`nix-hive ${args.join(' ')} exited ${r.exitCode}: ${r.stderr.slice(-1000)}`);
    times.push(r.wallMs);
    if (r.maxRssKiB !== undefined) rss = Math.max(rss ?? 0, r.maxRssKiB);
  }
  return { ms: Math.min(...times), rss };
}

export async function planScale(
  workDir: string,
  sizes: number[],
  options: { reps: number; log: (line: string) => void },
): Promise<ScaleResults> {
  const start = await cli(['--help'], options.reps);
  const rows: ScaleRow[] = [];
  for (const n of sizes) {
    options.log(`  ${n} instances…`);
    const dir = path.join(workDir, `synthetic-${n}`);
    const configFile = await writeSyntheticFiles(dir, { instances: n, ...SCALE_SHAPE });
    const child = await runChild(
      [process.execPath, '--import', 'tsx', PLAN_CHILD, String(n), String(options.reps)],
      {
        keepStdout: true,
      },
    );
    if (child.exitCode !== 0) throw new Error(`plan-child ${n} failed: ${child.stderr.slice(-1000)}`);
    const inProc = JSON.parse(child.stdout) as {
      steps: number;
      resolveMs: number;
      planMs: number;
      maxRssKiB: number;
    };
    const build = await cli(['build', '--no', 'build', '--no-state', '-c', configFile], options.reps);
    const plan = await cli(['plan', '--json', '--no-state', '-c', configFile], options.reps);
    const { size } = await stat(configFile);
    rows.push({
      n,
      steps: inProc.steps,
      resolveMs: inProc.resolveMs,
      planMs: inProc.planMs,
      inProcessRssKiB: child.maxRssKiB ?? inProc.maxRssKiB,
      cliBuildMs: build.ms,
      cliBuildRssKiB: build.rss,
      cliPlanMs: plan.ms,
      cliPlanRssKiB: plan.rss,
      configBytes: size,
    });
  }
  return { rows, cliStartMs: start.ms };
}
