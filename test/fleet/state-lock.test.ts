// hive.state under concurrency and failure, on the real fleet: a second deploy refuses at once while the first
// holds the lock (naming its pid), and status after the first is in sync; a stale lock of a dead pid is taken
// over; an unwritable state is refused before anything starts (exit 2 naming --state and the errno); a state
// that becomes unwritable during the run still gets the summary printed, and the errno named.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { readState } from '../../lib/state/store.ts';
import { BIN, cli, copyExample } from './support/seed-fleet.ts';
import { useSeedFleet } from './support/use-fleet.ts';

let hiveDir: string;
let stateFile: string;
let lockFile: string;

// Before the fleet's own `after` (hooks run in the order they are declared): its folder cannot go while immutable.
after(() => {
  if (stateFile) spawnSync('chattr', ['-i', stateFile]);
});
const seed = useSeedFleet({}, async () => {
  hiveDir = await copyExample(seed.fleet);
  stateFile = path.join(hiveDir, 'hive.state');
  lockFile = `${stateFile}.lock`;
  // Slow activations of the www hosts give a second deploy (or a chattr) a window.
  const www = path.join(hiveDir, 'modules', 'www.nix');
  const text = await readFile(www, 'utf8');
  await writeFile(www, text.replace(/\}\s*$/, '  hive.activationDelay = 12;\n}\n'));
});

/** Starts a deploy in the background; resolves `activating` once an activation of a www host started. */
function background(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'deploy', '-c', hiveDir, ...args], {
    env: seed.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  const activating = new Promise<void>((resolve) =>
    child.stderr.on('data', (c) => {
      stderr += c;
      if (/start\s+activate www-/.test(stderr)) resolve();
    }),
  );
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { pid: child.pid!, activating, done };
}

const leftovers = async () =>
  (await readdir(hiveDir)).filter((n) => n.startsWith('.hive.state') || n.endsWith('.lock'));

test('a second deploy refuses at once, naming the holder; status after the first is in sync', async () => {
  const first = background(['www-1']);
  await first.activating;
  let firstEnded = false;
  void first.done.then(() => (firstEnded = true));
  const second = await cli(['deploy', '-c', hiveDir, 'www-1', 'storage'], seed.env);
  assert.equal(firstEnded, false, 'refused at once, not after waiting for the first');
  assert.equal(second.exitCode, 1, second.stderr);
  assert.match(second.stderr, new RegExp(`hive\\.state is locked by another deploy: pid ${first.pid} on `));
  assert.doesNotMatch(second.stderr, /start\s+build/, 'the second deploy started nothing');
  const r = await first.done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(existsSync(lockFile), false, 'the lock is released');
  const status = await cli(['status', '-c', hiveDir, '--json', 'www-1'], seed.env);
  assert.equal(status.exitCode, 0, status.stdout + status.stderr);
  assert.equal(JSON.parse(status.stdout)[0].status, 'in-sync');
});

test('a stale lock of a dead pid is taken over', async () => {
  const dead = spawnSync('true').pid!;
  await writeFile(
    lockFile,
    JSON.stringify({ pid: dead, host: hostname(), runId: 'old', since: 'then' }) + '\n',
  );
  const r = await cli(['deploy', '-c', hiveDir, 'storage'], seed.env);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal((await readState(stateFile)).instances.storage!.outcome, 'ok');
  assert.deepEqual(await leftovers(), []);
});

test('an unwritable state is refused before anything starts: exit 2 naming --state and the errno', async () => {
  await seed.resetCalls();
  const missing = await cli(
    ['deploy', '-c', hiveDir, '--state', path.join(hiveDir, 'no', 'hive.state')],
    seed.env,
  );
  assert.equal(missing.exitCode, 2);
  assert.match(
    missing.stderr,
    /^nix-hive: --state: cannot write .*\/no\/hive\.state: ENOENT: no such file or directory/m,
  );
  const before = await readFile(stateFile, 'utf8');
  assert.equal(spawnSync('chattr', ['+i', stateFile]).status, 0);
  try {
    const immutable = await cli(['deploy', '-c', hiveDir], seed.env);
    assert.equal(immutable.exitCode, 2, immutable.stderr);
    assert.match(
      immutable.stderr,
      /^nix-hive: hive\.state: cannot write .*hive\.state: EPERM: operation not permitted/m,
    );
  } finally {
    spawnSync('chattr', ['-i', stateFile]);
  }
  assert.deepEqual(await seed.calls(), [], 'no nix or ssh process was started');
  assert.equal(await readFile(stateFile, 'utf8'), before);
  assert.deepEqual(await leftovers(), []);
});

test('a state that becomes unwritable during the run: the summary is printed, the errno named, exit 1', async () => {
  const run = background(['www-2']);
  await run.activating;
  assert.equal(spawnSync('chattr', ['+i', stateFile]).status, 0);
  let r;
  try {
    r = await run.done;
  } finally {
    spawnSync('chattr', ['-i', stateFile]);
  }
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^www-2\s+www\s+ok\s/m, `the summary is printed; stderr: ${r.stderr}`);
  assert.match(r.stderr, /cannot write the state file: EPERM: operation not permitted/);
  assert.deepEqual(await leftovers(), [], 'no temp state file or lock is left');
});
