// Smoke test of the benchmark (bench/): the same measuring code paths on a tiny fleet (1 jump host + 2
// internal hosts, a 1 MiB closure) and tiny synthetic inventories, for correctness only: the numbers
// exist and are sane. No timing assertions; the real figures come from `just bench`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireRoot } from './harness/fleet.ts';
import { fleetBench, prepare, type Prepared } from '../../bench/fleet-bench.ts';
import { fleetFigures, type FleetFigures } from '../../bench/figures.ts';
import { describeMachine } from '../../bench/machine.ts';
import { overhead } from '../../bench/overhead.ts';
import { planScale } from '../../bench/plan-scale.ts';
import { renderChart } from '../../bench/chart.ts';
import { renderMarkdown, type BenchResults } from '../../bench/report.ts';

const NIX_ENV = {
  NIX_CONFIG: 'substituters =\nsandbox = false\nbuild-users-group =\nconnect-timeout = 5\n',
  NIX_REMOTE: 'local',
};

let work: string;
let prepared: Prepared;
let figures: FleetFigures;

before(async () => {
  requireRoot();
  work = await mkdtemp(path.join(tmpdir(), 'nix-hive-bench-smoke-'));
});
after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test('fleet sections: nix-hive sends the closure about once, the baselines once per host', async () => {
  prepared = await prepare(
    path.join(work, 'fleet'),
    { internal: 2, payload: '1M', payloadPaths: 2 },
    NIX_ENV,
  );
  assert.ok(prepared.www.bytes >= 1024 * 1024, `www closure ${prepared.www.bytes} bytes`);
  assert.ok(prepared.unique.bytes >= prepared.www.bytes);
  const raw = await fleetBench(prepared, { rounds: 1, mbit: 100, log: () => {} });
  figures = fleetFigures(prepared.unique, raw);

  const b = figures.bytesRatio;
  assert.ok(b['nix-hive'] >= 0.95 && b['nix-hive'] < 1.5, `nix-hive uplink ratio ${b['nix-hive']}`);
  assert.ok(b['nix-hive'] < b.sequential, `nix-hive ${b['nix-hive']} vs sequential ${b.sequential}`);
  assert.ok(b['nix-hive'] < b.parallel, `nix-hive ${b['nix-hive']} vs parallel ${b.parallel}`);
  // Three hosts, two of them needing the www closure: the baselines push it from here twice.
  assert.ok(b.sequential > 1.8 && b.parallel > 1.8, JSON.stringify(b));

  assert.equal(figures.hosts, 3);
  // One connection carries the whole deploy; a second, new one confirms each switch (automatic rollback
  // needs proof that the host still accepts new ssh connections).
  assert.equal(
    figures.jumpConnections['nix-hive'],
    2,
    'nix-hive: one connection to the jump host, one confirming',
  );
  assert.equal(
    figures.internalConnections['nix-hive'],
    2,
    'nix-hive: one connection per internal host, one confirming',
  );
  assert.ok(figures.jumpConnections.sequential > 1, 'the baselines connect to the jump host per command');
  assert.ok(figures.substituterConnections['nix-hive'] > 0, 'the instances substituted from the jump host');

  const s = figures.shaped!;
  assert.equal(s.rounds, 1);
  for (const v of ['nix-hive', 'sequential', 'parallel'] as const) {
    assert.ok(Number.isFinite(s.wallMedianMs[v]) && s.wallMedianMs[v] > 0, `${v} wall time`);
    assert.ok(Number.isFinite(s.wallRatioToHive[v]) && s.wallRatioToHive[v] > 0, `${v} ratio`);
  }
  assert.ok(s.lowerBoundMs > 0 && s.oneActivationMs > 0);

  const r = figures.redeploy!;
  assert.ok(r.bytesRatio < 0.2, `re-deploy sent ${r.txBytes} bytes`);
  assert.equal(r.copiedPaths, 0, 'the re-deploy copied no store path');
  assert.ok((r.firstCopiedPaths ?? 0) >= prepared.www.paths, 'the first deploy copied the www closure');
  assert.ok(r.wallMs > 0 && r.timeRatio > 0);
});

test('planning at scale and orchestration overhead produce their figures', async () => {
  const scale = await planScale(path.join(work, 'scale'), [200, 400], { reps: 1, log: () => {} });
  assert.equal(scale.rows.length, 2);
  for (const row of scale.rows) {
    assert.ok(row.steps > row.n, `${row.n} instances: ${row.steps} steps`);
    assert.ok(row.planMs > 0 && row.cliBuildMs > 0 && row.cliPlanMs > 0);
  }
  const o = await overhead(work, 60, 500);
  assert.ok(o.bare.ok && o.listr.ok, 'the synthetic deploys succeed');
  assert.ok(o.bare.cpuMs > 0 && o.bare.events > 60);
  assert.ok(o.listr.forwarded > 0 && o.viewBytes > 0, 'the listr2 view rendered');

  const results: BenchResults = {
    machine: await describeMachine(),
    startedAt: new Date().toISOString(),
    durationMs: 1,
    argv: [],
    load: { start: 0, end: 0 },
    fleet: { prepared, figures },
    scale,
    overhead: o,
    importNote: 'not run in the smoke test',
    notes: [],
  };
  const md = renderMarkdown(results);
  assert.match(md, /uplink bytes ÷ unique closure bytes/);
  assert.match(md, /Planning at scale/);
  assert.match(md, /Machine: \d+ CPUs/);
  assert.match(renderChart(results), /^<svg [^>]*>[\s\S]*<\/svg>\n$/);
});
