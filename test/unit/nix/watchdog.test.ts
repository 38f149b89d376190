// The watchdog's scripts run here for real, locally (setsid, as on a host without systemd), against a temporary
// folder and a stand-in system whose switch only echoes: arm, the detached activation, verdicts and the rollback's
// wait. PATH holds no `sleep`, so every wait must block until it is woken (a poll loop has nothing to sleep
// with), and no `date` or `sed`: the scripts read no clock and parse with the shell's own expansions (every
// program a host starts per deploy is CPU on a fleet of hundreds; issue 23). Rolling back would run /run/current-system's switch: these tests run only where there is none, so the
// watchdog finds "no previous system" and nothing of this machine's is ever switched.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseWaitOutput, startActivationArgv, waitActivationArgv } from '../../../lib/nix/detached.ts';
import {
  armWatchdogArgv,
  verdictArgv,
  waitRollbackArgv,
  WATCHDOG_GONE,
  type Verdict,
} from '../../../lib/nix/watchdog.ts';
import { tempDir } from '../../helpers/tmp.ts';

const execFileP = promisify(execFile);
const TOOLS = ['sh', 'mkdir', 'rm', 'mv', 'cat', 'setsid', 'readlink', 'mkfifo', 'timeout', 'flock', 'ln'];
const PATH = (() => {
  const bin = tempDir('nix-hive-watchdog-bin-');
  for (const tool of TOOLS) {
    const found = ['/usr/bin', '/bin'].map((d) => path.join(d, tool)).find((f) => existsSync(f));
    if (!found) throw new Error(`${tool} not found`);
    symlinkSync(found, path.join(bin, tool));
  }
  return bin;
})();
/** Runs an argv with that PATH; a wait that is never woken fails the test at the bound, not at its own limit. */
const run = (argv: string[]) =>
  execFileP(path.join(PATH, argv[0]!), argv.slice(1), { env: { PATH }, timeout: 60_000 });
const exitOf = (argv: string[]) =>
  run(argv).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string; killed?: boolean }) => {
      if (e.killed) throw new Error('not woken: the test bound ran out');
      return { code: e.code, stdout: e.stdout };
    },
  );
const noRealSystem = existsSync('/run/current-system') ? 'this machine has /run/current-system' : false;

// Every watchdog runs in a session (and process group) of its own: whatever a failed test left waiting there
// (the watchdog, its `timeout`) is ended with it.
const watchdogs: number[] = [];
after(() => {
  for (const pid of watchdogs) {
    const cmd = (() => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    })();
    if (!cmd.includes('nix-hive-watchdog')) continue;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

async function setup(id: string, confirmS: number) {
  const root = tempDir('nix-hive-watchdog-');
  const dir = path.join(root, 'state');
  const system = path.join(root, 'system');
  await mkdir(path.join(system, 'bin'), { recursive: true });
  await writeFile(path.join(system, 'bin', 'switch-to-configuration'), '#!/bin/sh\necho "switched $1"\n');
  await chmod(path.join(system, 'bin', 'switch-to-configuration'), 0o755);
  await writeFile(path.join(system, 'nixos-version'), '24.11.stub\n');
  const armed = await run(armWatchdogArgv(id, 'test', confirmS, dir));
  assert.equal(armed.stdout, '\n', 'no previous system here');
  const pid = Number(await readFile(path.join(dir, `${id}.watchdog`), 'utf8'));
  watchdogs.push(pid);
  const activate = async () => {
    await run(startActivationArgv(id, system, 'test', dir));
    return parseWaitOutput((await run(waitActivationArgv(id, 600, dir))).stdout);
  };
  const verdict = async (v: Verdict) => (await run(verdictArgv(id, v, dir))).stdout.trim();
  const rollback = () => exitOf(waitRollbackArgv(id, 600, dir));
  return { dir, pid, activate, verdict, rollback };
}

test(
  'a verdict other than confirmed wakes the watchdog, which rolls back; the wait is woken by it',
  { skip: noRealSystem },
  async () => {
    const w = await setup('wd-check', 600);
    assert.deepEqual(await w.activate(), { status: '0', lines: ['switched test'] });
    assert.equal(await w.verdict('check-failed'), 'check-failed');
    const r = await w.rollback();
    assert.equal(r.code, 0);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      '3',
      'nix-hive: rolling back (check-failed) to nothing',
      'nix-hive: no previous system to return to',
    ]);
  },
);

test(
  'no verdict within the window: the watchdog claims timeout itself and rolls back',
  { skip: noRealSystem },
  async () => {
    const w = await setup('wd-timeout', 1);
    await w.activate();
    const r = await w.rollback();
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^3\nnix-hive: rolling back \(timeout\) to nothing\n/);
    assert.equal(await w.verdict('confirmed'), 'timeout', 'the verdict it claimed stands');
  },
);

test(
  'confirmed: the watchdog ends without rolling back, and the rollback wait says so at once',
  { skip: noRealSystem },
  async () => {
    const w = await setup('wd-confirmed', 600);
    await w.activate();
    assert.equal(await w.verdict('confirmed'), 'confirmed');
    assert.equal((await w.rollback()).code, WATCHDOG_GONE);
    assert.equal(existsSync(path.join(w.dir, 'wd-confirmed.rollback.status')), false);
  },
);

test('cancelled before the activation ended: the watchdog ends at once', { skip: noRealSystem }, async () => {
  const w = await setup('wd-cancel', 600);
  assert.equal(await w.verdict('cancelled'), 'cancelled');
  assert.equal((await w.rollback()).code, WATCHDOG_GONE);
});

test(
  'a killed watchdog is noticed at once by the rollback wait (its lock is free)',
  { skip: noRealSystem },
  async () => {
    const w = await setup('wd-killed', 600);
    // Killed while blocked in its wait: its `timeout` child lives on, and must not keep the lock held.
    const kids = `/proc/${w.pid}/task/${w.pid}/children`;
    const waiting = async () => {
      for (const kid of (await readFile(kids, 'utf8')).split(' ').filter(Boolean))
        if ((await readFile(`/proc/${kid}/comm`, 'utf8').catch(() => '')).trim() === 'timeout') return kid;
      return undefined;
    };
    let kid: string | undefined;
    for (let i = 0; i < 600 && !(kid = await waiting()); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(kid, 'the watchdog blocks in timeout');
    process.kill(w.pid, 'SIGKILL');
    try {
      assert.equal((await w.rollback()).code, WATCHDOG_GONE);
    } finally {
      // The orphan it left (it would end at its own limit; on a loaded machine it may have already).
      try {
        process.kill(Number(kid), 'SIGTERM');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    }
  },
);
