// Child process of the overhead section: deploy() of a synthetic fleet with spawning and the transport
// injected to answer at once (see instant-io.ts), twice: with a sink that only counts events, then with
// the listr2 view (LISTR_FORCE_TTY set by the parent; its frames go to stdout, which the parent counts).
// Writes one JSON document to the file named by argv[3]. `node --import tsx overhead-child.ts <n> <out> [view budget ms]`
import { writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { deploy } from '../lib/deploy/deploy.ts';
import { resolveHive, selectTargets } from '../lib/inventory/index.ts';
import type { ResolvedHive } from '../lib/inventory/types.ts';
import type { EventSink, HiveEvent } from '../lib/progress/events.ts';
import { listrRenderer } from '../lib/progress/listr.ts';
import { instantSpawner, instantTransport } from './instant-io.ts';
import type { OverheadRun as Run } from './overhead.ts';
import { SCALE_SHAPE, writeSyntheticFiles } from './synthetic.ts';

const n = Number(process.argv[2]);
const out = process.argv[3]!;
/** Time the view may spend in total before it is given only the report. */
const budgetMs = Number(process.argv[4] ?? 10_000);
const dir = path.join(path.dirname(out), `overhead-${n}`);
const configFile = await writeSyntheticFiles(dir, { instances: n, ...SCALE_SHAPE });
const config = JSON.parse(readFileSync(configFile, 'utf8'));
const hive: ResolvedHive = resolveHive(config, configFile);
const targets = selectTargets(hive, []);
const publicKey = 'bench-synthetic-1:' + Buffer.alloc(32, 7).toString('base64');

async function once(view: { sink: EventSink; close(): Promise<void> } | undefined): Promise<Run> {
  let events = 0;
  let sinkMs = 0;
  let forwarded = 0;
  const emit: EventSink = (e: HiveEvent) => {
    events++;
    // Past the budget the view gets only the report (which ends its rows), so the run stays bounded.
    if (!view || (sinkMs > budgetMs && e.kind !== 'report')) return;
    const t = performance.now();
    view.sink(e);
    sinkMs += performance.now() - t;
    forwarded++;
  };
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const report = await deploy(hive, targets, {
    goal: 'switch',
    skip: { build: false, copy: false, activate: false },
    allowDirect: false,
    parallel: 10,
    storeFanout: 10,
    emit,
    spawn: instantSpawner(publicKey),
    connect: async () => instantTransport(publicKey),
  });
  const deployed = performance.now();
  if (!report.ok) {
    // The instant answers no longer fit what deploy() asks (the lib changed): say so instead of timing failures.
    const bad = report.instances.find((i) => i.outcome !== 'ok');
    throw new Error(`the synthetic deploy failed: ${bad?.instance} ${bad?.step}: ${bad?.reason}`);
  }
  await view?.close();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  return {
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs,
    events,
    forwarded,
    sinkMs,
    ok: report.ok,
    viewLagMs: performance.now() - deployed,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    loopDelayMaxMs: loop.max / 1e6,
  };
}

await once(undefined); // warm-up: JIT and module caches, not counted
const bare = await once(undefined);
const listr = await once(await listrRenderer());
await writeFile(out, JSON.stringify({ n, steps: bare.events, bare, listr }));
