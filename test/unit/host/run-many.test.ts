// runOnHosts: the parallel limit, per-host outcomes (ok / failed / timed out / unreachable), order, events, summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SpawnResult } from '../../../lib/exec/spawn.ts';
import type { Host } from '../../../lib/host/host.ts';
import { runOnHosts, summarize, type RunEvent } from '../../../lib/host/run-many.ts';
import { SshError } from '../../../lib/errors.ts';

type Behaviour = Partial<SpawnResult> | SshError;

function fakeHost(name: string, behaviour: Behaviour, active: { now: number; max: number }): Host {
  return {
    name,
    async run(_argv: string[], opts: { onLine?: (s: 'stdout' | 'stderr', l: string) => void } = {}) {
      active.now++;
      active.max = Math.max(active.max, active.now);
      await new Promise((r) => setTimeout(r, 5));
      active.now--;
      if (behaviour instanceof SshError) throw behaviour;
      opts.onLine?.('stdout', `hello from ${name}`);
      return {
        command: 'ssh',
        args: [],
        exitCode: 0,
        signal: undefined,
        timedOut: false,
        stdout: `hello from ${name}\n`,
        stderr: '',
        durationMs: 5,
        ...behaviour,
      };
    },
  } as unknown as Host;
}

test('runs every host within the parallel limit and reports each outcome in input order', async () => {
  const active = { now: 0, max: 0 };
  const hosts = [
    fakeHost('a', {}, active),
    fakeHost('b', { exitCode: 3, stderr: 'boom\n' }, active),
    fakeHost('c', { timedOut: true, exitCode: 143 }, active),
    fakeHost('d', new SshError('refused', 'd', 'connection to d refused'), active),
    ...Array.from({ length: 8 }, (_, i) => fakeHost(`x${i}`, {}, active)),
  ];
  const events: RunEvent[] = [];
  const records = await runOnHosts(hosts, {
    argv: ['true'],
    parallel: 3,
    timeoutMs: 2000,
    onEvent: (e) => events.push(e),
  });
  assert.equal(active.max, 3);
  assert.deepEqual(
    records.map((r) => r.instance),
    hosts.map((h) => h.name),
  );
  const [a, b, c, d] = records;
  assert.deepEqual([a!.outcome, a!.code, a!.stdout], ['ok', 0, 'hello from a\n']);
  assert.deepEqual([b!.outcome, b!.code, b!.stderr], ['failed', 3, 'boom\n']);
  assert.deepEqual([c!.outcome, c!.code, c!.reason], ['failed', null, 'timed out after 2 s']);
  assert.deepEqual([d!.outcome, d!.code, d!.reason], ['unreachable', null, 'connection to d refused']);
  assert.equal(events.filter((e) => e.kind === 'start').length, 12);
  assert.equal(events.filter((e) => e.kind === 'done').length, 12);
  assert.ok(events.some((e) => e.kind === 'line' && e.instance === 'a' && e.line === 'hello from a'));

  const s = summarize(records);
  assert.deepEqual([s.ok.length, s.failed.length, s.unreachable.length, s.outcome], [9, 2, 1, 'failed']);
  assert.equal(summarize(records.filter((r) => r.outcome === 'ok')).outcome, 'ok');
});

test('after a stop, hosts not yet started are recorded as interrupted (exit 130)', async () => {
  const active = { now: 0, max: 0 };
  const stop = new AbortController();
  const hosts = Array.from({ length: 4 }, (_, i) => fakeHost(`h${i}`, {}, active));
  const records = await runOnHosts(hosts, {
    argv: ['true'],
    parallel: 1,
    stop: stop.signal,
    onEvent: (e) => {
      if (e.kind === 'done') stop.abort();
    },
  });
  assert.deepEqual(
    records.map((r) => r.outcome),
    ['ok', 'interrupted', 'interrupted', 'interrupted'],
  );
  assert.equal(records[1]!.reason, 'interrupted before it started');
  assert.equal(summarize(records).outcome, 'interrupted');
});
