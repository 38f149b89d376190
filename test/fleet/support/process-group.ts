// The CLI as an operator runs it: in its own process group (as a shell job is), optionally on a
// pseudo-terminal (`script`), signalled as a group (`kill -INT -- -PGID`, what Ctrl-C and a closed
// terminal do), with its output pipes readable and closable. Plus what a run may leave behind: the
// ssh session folders and ssh processes it made, its children, and temporary state files; and what an
// orderly stop of a deploy reports.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { BIN } from './seed-fleet.ts';
import { descendants, sessionSshProcesses, sleep } from './faults.ts';
import { netnsPids } from '../harness/dispose.ts';
import type { FleetHost } from '../harness/fleet.ts';
import { quoteArgv } from '../../../lib/ssh/quote.ts';
import { readState } from '../../../lib/state/store.ts';

export interface GroupRun {
  child: ChildProcess;
  /** The process group (= the child's pid). */
  pgid: number;
  stdout(): string;
  stderr(): string;
  /** Sends a signal to the whole group. */
  signal(sig: NodeJS.Signals): void;
  waitFor(what: 'stdout' | 'stderr', re: RegExp, timeoutMs?: number): Promise<void>;
  /** Every ssh session folder (`/tmp/nh-XXXXXX`) and process the run was seen to use, sampled as it runs. */
  seen: { dirs: Set<string>; pids: Set<number> };
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts argv in a new process group; `tty` runs it under `script` (a pseudo-terminal) with that shell prefix. */
export function startGroup(
  argv: string[],
  env: Record<string, string>,
  opts: { tty?: { stty?: string } } = {},
): GroupRun {
  const command = opts.tty
    ? [
        'script',
        '-qec',
        // The wrapper shell is in the terminal's foreground group too, so a typed Ctrl-C reaches it: dash
        // (what `script` runs when SHELL is /bin/sh or unset, as under CI) dies of it before printing EXIT,
        // bash waits. A trap makes both wait for the command and print its status.
        `trap : INT; ${opts.tty.stty ? `stty ${opts.tty.stty}; ` : ''}${quoteArgv(argv)}; echo "EXIT=$?"`,
        '/dev/null',
      ]
    : argv;
  const child = spawn(command[0]!, command.slice(1), {
    env: opts.tty ? { ...env, SHELL: '/bin/sh' } : env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c));
  child.stderr!.on('data', (c: Buffer) => (err += c));
  // A closed pipe is part of some tests: our own end may see EPIPE on stdin.
  child.stdin!.on('error', () => {});
  child.stdout!.on('error', () => {});
  child.stderr!.on('error', () => {});
  const seen = { dirs: new Set<string>(), pids: new Set<number>() };
  let running = true;
  const sample = async () => {
    while (running) {
      for (const pid of descendants(child.pid!)) {
        seen.pids.add(pid);
        try {
          for (const a of readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')) {
            const m = /^(\/tmp\/nh-[A-Za-z0-9]{6})\/ssh_config$/.exec(a);
            if (m) seen.dirs.add(m[1]!);
          }
        } catch {
          // gone
        }
      }
      await sleep(50);
    }
  };
  void sample();
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) =>
    child.on('exit', (code, signal) => {
      running = false;
      // Let the pipes drain what is already written.
      setTimeout(() => resolve({ code, signal, stdout: out, stderr: err }), 200);
    }),
  );
  const waitFor = async (what: 'stdout' | 'stderr', re: RegExp, timeoutMs = 120_000) => {
    const t0 = Date.now();
    while (!re.test(what === 'stdout' ? out : err)) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`ended before ${re} on ${what}:\n${err}\n${out.slice(-3000)}`);
      if (Date.now() - t0 > timeoutMs)
        throw new Error(`timed out waiting for ${re}:\n${err}\n${out.slice(-3000)}`);
      await sleep(50);
    }
  };
  return {
    child,
    pgid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    signal: (sig) => process.kill(-child.pid!, sig),
    waitFor,
    seen,
    done,
  };
}

/** The real bin's argv. */
export const nixHive = (...args: string[]) => [process.execPath, BIN, ...args];

/**
 * Nothing the run made is left: no process of it (ssh masters and `ssh -W` jumps included), none of its
 * session folders, no ssh process naming one, and no temporary state file beside hive.state.
 */
export async function assertNothingLeft(run: GroupRun, hiveDir?: string): Promise<void> {
  // A process that is ending gets a moment (the group's own members were signalled together).
  let alive: number[] = [];
  for (let i = 0; i < 40; i++) {
    alive = [...run.seen.pids].filter((pid) => {
      if (!existsSync(`/proc/${pid}`)) return false;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
      } catch {
        return false;
      }
    });
    if (alive.length === 0) break;
    await sleep(100);
  }
  const cmd = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      return '';
    }
  };
  assert.deepEqual(
    alive.map((p) => `${p}: ${cmd(p)}`),
    [],
    'no process of the run is left',
  );
  for (const dir of run.seen.dirs) {
    assert.equal(existsSync(dir), false, `the session folder ${dir} is gone`);
    assert.deepEqual(
      sessionSshProcesses().filter((p) => p.cmd.includes(`${dir}/`)),
      [],
      `no ssh process of ${dir} is left`,
    );
  }
  if (hiveDir) {
    const temps = readdirSync(hiveDir).filter((f) => /^hive\.state\..*\.tmp$/.test(f));
    assert.deepEqual(temps, [], 'no temporary state file is left');
  }
}

/** Processes of a fleet host whose command line matches (the host shares this kernel: /proc shows them). */
export function hostProcesses(host: FleetHost, re: RegExp): string[] {
  return netnsPids(host.netns)
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      } catch {
        return '';
      }
    })
    .filter((c) => re.test(c));
}

export const stateFile = (dir: string) => path.join(dir, 'hive.state');

/** Waits (polling every 50 ms) until `ok()` holds; throws naming `what` after `ms`. */
export async function until(what: string, ok: () => boolean, ms = 120_000): Promise<void> {
  for (const t0 = Date.now(); !ok(); await sleep(50)) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
  }
}

/** Waits until switch-to-configuration runs on the host. */
export const activationStarted = (host: FleetHost) =>
  until(`an activation on ${host.name}`, () => hostProcesses(host, /switch-to-configuration/).length > 0);

/** An instance's line in the plain summary (the line that starts with its name), or ''. */
export const summaryRow = (out: string, instance: string) =>
  out.split('\n').find((l) => l.startsWith(`${instance} `)) ?? '';

/**
 * The orderly stop of `deploy --parallel 1 a b` stopped while a activates: a's activation finished (ok) and b
 * never started (interrupted), in the plain summary `out` and in the hive.state of `hiveDir` alike.
 */
export async function assertAFinishedBInterrupted(out: string, hiveDir: string): Promise<void> {
  assert.match(summaryRow(out, 'a'), /\bok\b/, out);
  assert.match(summaryRow(out, 'b'), /\binterrupted\b/, out);
  const state = await readState(stateFile(hiveDir));
  assert.equal(state.instances.a!.outcome, 'ok');
  assert.equal(state.instances.b!.outcome, 'interrupted');
}
