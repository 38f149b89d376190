// Smoke test of the benchmark's relay section (bench/relay-bench.ts) on a tiny NIC-shaped fleet (1 store
// host + 4 hosts, k = 2, a 1 MiB closure): the figures exist and are sane. No timing assertions.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireRoot } from './harness/fleet.ts';
import { prepare } from '../../bench/fleet-bench.ts';
import { relayBench } from '../../bench/relay-bench.ts';
import { describeMachine } from '../../bench/machine.ts';
import { renderMarkdown } from '../../bench/report.ts';

const NIX_ENV = {
  NIX_CONFIG: 'substituters =\nsandbox = false\nbuild-users-group =\nconnect-timeout = 5\n',
  NIX_REMOTE: 'local',
};

let work: string;
before(async () => {
  requireRoot();
  work = await mkdtemp(path.join(tmpdir(), 'nix-hive-bench-relay-'));
});
after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test('relay section: the store host sends the closure k times with the tree, N times as the star', async () => {
  const p = await prepare(path.join(work, 'relay'), { internal: 4, payload: '1M', payloadPaths: 2 }, NIX_ENV);
  const r = await relayBench(p, { mbit: 100, fanout: 2, rounds: 1, log: () => {} });
  assert.deepEqual(r.failures, []);
  const run = r.runs[0]!;
  assert.equal(run.relay.rounds, 2);
  assert.equal(run.star.rounds, 1);
  assert.ok(r.starEgressRatio > 3.5 && r.starEgressRatio < 5, `star egress ${r.starEgressRatio}`);
  assert.ok(r.relayEgressRatio > 1.5 && r.relayEgressRatio < 3, `relay egress ${r.relayEgressRatio}`);
  assert.ok(r.perHopMs > 0 && r.starPerInstanceMs > 0);
  assert.deepEqual(
    r.model.map((m) => [m.instances, m.rounds]),
    [
      [1000, 9],
      [10_000, 13],
    ],
  );
  for (const m of r.model) assert.ok(Number.isFinite(m.relayMs) && Number.isFinite(m.starMs));
  const md = renderMarkdown({
    machine: await describeMachine(),
    startedAt: new Date().toISOString(),
    durationMs: 1,
    argv: [],
    load: { start: 0, end: 0 },
    relay: r,
    notes: [],
  });
  assert.match(md, /## Relay fan-out: star against relay tree/);
  assert.match(md, /store-host egress ÷ closure: relay; star/);
});
