// The confirmation over a new connection (deploy/activate/confirm.ts), against a host that answers as the real
// scripts do (fleet tests run them: rollout-confirm): a confirmation that is slow to come sends one heartbeat
// over the existing connection, so the host's window starts again when the deployer tries, not when the switch
// ended; a quick one sends none; no attempt is given more than half the window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { confirm, HEARTBEAT_AFTER_MS } from '../../../../lib/deploy/activate/confirm.ts';
import type { RemoteRunner } from '../../../../lib/deploy/context.ts';
import type { SpawnResult } from '../../../../lib/exec/spawn.ts';

const answer = (stdout: string): SpawnResult => ({
  command: 'ssh',
  args: [],
  exitCode: 0,
  signal: undefined,
  timedOut: false,
  stdout,
  stderr: '',
  durationMs: 0,
});

/** A host whose new connections answer `confirmed` after `delayMs`; what the old connection was asked. */
function host(delayMs: number) {
  const old: string[] = [];
  const attempts: Array<number | undefined> = [];
  const remote: RemoteRunner = async (_instance, argv) => {
    old.push(argv[3]!); // the script's $0: nix-hive-alive, nix-hive-wait, …
    return answer('');
  };
  const fresh: RemoteRunner = async (_instance, _argv, o) => {
    attempts.push(o?.timeoutMs);
    await new Promise((r) => setTimeout(r, delayMs));
    return answer('confirmed\n');
  };
  return { ctx: { remote, fresh }, old, attempts };
}

const io = { log: () => {}, signal: new AbortController().signal };

test('a confirmation that comes at once sends no heartbeat', async () => {
  const h = host(0);
  await confirm(h.ctx, 'www-1', 'run-www-1', 30, '/nix/store/old', io);
  assert.deepEqual(h.old, []);
  assert.equal(h.attempts.length, 1);
});

test('a slow confirmation sends one heartbeat over the existing connection, so the window starts again', async () => {
  const h = host(HEARTBEAT_AFTER_MS + 500);
  await confirm(h.ctx, 'www-1', 'run-www-1', 30, '/nix/store/old', io);
  assert.deepEqual(h.old, ['nix-hive-alive']);
  // A short window: the heartbeat comes after a fifth of it.
  const short = host(1500);
  await confirm(short.ctx, 'www-1', 'run-www-1', 5, '/nix/store/old', io);
  assert.deepEqual(short.old, ['nix-hive-alive']);
});

test('no attempt is given more than half the window (10 s at least), so a hung one is tried again', async () => {
  const h = host(0);
  await confirm(h.ctx, 'www-1', 'run-www-1', 60, '/nix/store/old', io);
  assert.equal(h.attempts[0], 30_000);
  const small = host(0);
  await confirm(small.ctx, 'www-1', 'run-www-1', 4, '/nix/store/old', io);
  assert.ok(small.attempts[0]! <= 6000 && small.attempts[0]! > 5000, String(small.attempts[0]));
});
