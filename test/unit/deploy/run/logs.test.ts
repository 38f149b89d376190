// The per-host log writer on a log that cannot be written (/dev/full gives ENOSPC on every write): one
// warning naming the errno, no 'error' event left unhandled, and the writer keeps taking events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { logWriter } from '../../../../lib/deploy/run/logs.ts';
import type { HiveEvent } from '../../../../lib/progress/events.ts';
import type { Plan } from '../../../../lib/plan/types.ts';

const events = (logDir: string): HiveEvent[] => [
  { kind: 'plan', runId: 'r', plan: { steps: [] } as unknown as Plan, logDir },
  { kind: 'step-start', step: 'activate:a', stepKind: 'activate', label: 'activate a', target: 'a' },
  ...Array.from({ length: 50 }, (_, i): HiveEvent => ({
    kind: 'step-log',
    step: 'activate:a',
    target: 'a',
    stream: 'stdout',
    line: `line ${i}`,
  })),
];

test('a full disk: one warning with ENOSPC, no crash, later events still taken', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nix-hive-logs-'));
  try {
    symlinkSync('/dev/full', path.join(dir, 'a.log'));
    const warnings: string[] = [];
    const w = logWriter((t) => warnings.push(t));
    for (const e of events(dir)) w.sink(e);
    await new Promise((r) => setTimeout(r, 100));
    for (const e of events(dir)) w.sink(e);
    await w.close();
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /cannot write the logs .*ENOSPC.*going on without them/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a writable folder: the lines land in <instance>.log', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nix-hive-logs-'));
  try {
    const w = logWriter(() => assert.fail('no warning expected'));
    for (const e of events(dir)) w.sink(e);
    await w.close();
    const text = readFileSync(path.join(dir, 'a.log'), 'utf8');
    assert.match(text, /^==> activate a\nline 0\n/);
    assert.match(text, /line 49\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
