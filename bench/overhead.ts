// Section 5, orchestration overhead: runs overhead-child.ts (deploy() of a synthetic fleet with instant
// spawning and transport) with LISTR_FORCE_TTY so the listr2 view renders as on a terminal; its frames
// go to a pipe whose bytes are counted.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild } from './child.ts';

const CHILD = fileURLToPath(new URL('./overhead-child.ts', import.meta.url));

export interface OverheadRun {
  cpuMs: number;
  wallMs: number;
  events: number;
  /** Events the view was given (all of them unless its time budget ran out). */
  forwarded: number;
  sinkMs: number;
  ok: boolean;
  /** After the report, how long until the view said it was done. */
  viewLagMs: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

export interface OverheadResults {
  n: number;
  bare: OverheadRun;
  listr: OverheadRun;
  viewBudgetMs: number;
  /** Bytes the listr2 view wrote (terminal frames). */
  viewBytes: number;
}

export async function overhead(workDir: string, n: number, viewBudgetMs: number): Promise<OverheadResults> {
  const out = path.join(workDir, `overhead-${n}.json`);
  const r = await runChild(
    [process.execPath, '--import', 'tsx', CHILD, String(n), out, String(viewBudgetMs)],
    {
      env: { LISTR_FORCE_TTY: '1' },
      timeoutMs: 600_000,
    },
  );
  if (r.exitCode !== 0) throw new Error(`overhead child failed (${r.exitCode}): ${r.stderr.slice(-2000)}`);
  const data = JSON.parse(await readFile(out, 'utf8')) as { bare: OverheadRun; listr: OverheadRun };
  return { n, bare: data.bare, listr: data.listr, viewBudgetMs, viewBytes: r.stdoutBytes };
}
