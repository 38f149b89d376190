// The remote wrapper of `nix-hive run`, run for real under `sh` the way the remote login shell gets it
// (quoteArgv of the argv, then `sh -c`): argv and input arrive intact, the exit code passes through, and
// when stdin ends (the client is gone) or the backstop timer fires, the command's whole process group
// (a grandchild included) is stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { BACKSTOP_EXIT, GONE_EXIT, runWrapperArgv } from '../../../lib/host/run-wrapper.ts';
import { quoteArgv } from '../../../lib/ssh/quote.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Starts the wrapped command; stdin stays open until `close()`, as the client holds it. */
function start(argv: string[], opts: { input?: string; backstop?: number } = {}) {
  const wrapped = runWrapperArgv(argv, {
    backstopSeconds: opts.backstop,
    inputBytes: opts.input === undefined ? undefined : Buffer.byteLength(opts.input),
  });
  const t0 = Date.now();
  const child = spawn('sh', ['-c', quoteArgv(wrapped)], { stdio: ['pipe', 'pipe', 'pipe'] });
  // A command that has ended (or never reads) closes its end: our late write then gets EPIPE, which is
  // not the test's subject.
  child.stdin.on('error', () => {});
  if (opts.input !== undefined) child.stdin.write(opts.input);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const done = new Promise<Run>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 })),
  );
  return { child, done, close: () => child.stdin.end(), stdout: () => stdout };
}

/** Live (not zombie) processes of a process group. */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid && f[0] !== 'Z') out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  for (const t0 = Date.now(); !ok(); await sleep(20)) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
  }
}

/** A command that prints its process group, then waits on a grandchild. */
const LINGER = ['sh', '-c', 'echo "pgid $(ps -o pgid= -p $$ | tr -d " ")"; sleep 60 & sleep 60; echo never'];

test('argv and input arrive intact; the exit code passes through; the client closing stdin afterwards is fine', async () => {
  const words = ["it's", '$HOME', '`id`', 'a b', '', '*', '-n', 'ünï', 'x\ny'];
  const input = 'first line\nno newline at the end: ünï';
  const r = start(
    ['sh', '-c', 'for a in "$@"; do printf "[%s]" "$a"; done; echo; cat; exit 7', 'sh', ...words],
    {
      input,
    },
  );
  const out = await r.done;
  r.close();
  assert.equal(out.code, 7, out.stderr);
  assert.equal(out.stdout, `${words.map((w) => `[${w}]`).join('')}\n${input}`);
  assert.equal(out.stderr, '');
});

test('without input the command reads an empty stdin, not the bytes that keep the connection', async () => {
  const r = start(['sh', '-c', 'cat; echo "read $?"']);
  r.child.stdin.write('not for the command\n');
  const out = await r.done;
  r.close();
  assert.equal(out.stdout, 'read 0\n');
});

test('stdin ending (the client is gone) stops the command and its grandchild: nothing of its group is left', async () => {
  const r = start(LINGER);
  await waitFor('the pgid line', () => /pgid \d+/.test(r.stdout()));
  const pgid = Number(/pgid (\d+)/.exec(r.stdout())![1]);
  // The pgid line comes before the sleeps are forked: wait for them (a race under load, not a defect).
  await waitFor('the command and its sleeps in their own group', () => groupMembers(pgid).length >= 3);
  r.close();
  const out = await r.done;
  assert.equal(out.code, GONE_EXIT);
  await waitFor('the group to be empty', () => groupMembers(pgid).length === 0);
  assert.doesNotMatch(out.stdout, /never/);
});

test('the backstop timer stops the whole group though stdin stays open', async () => {
  const r = start(LINGER, { backstop: 1 });
  await waitFor('the pgid line', () => /pgid \d+/.test(r.stdout()));
  const pgid = Number(/pgid (\d+)/.exec(r.stdout())![1]);
  const out = await r.done;
  r.close();
  assert.equal(out.code, BACKSTOP_EXIT);
  assert.ok(out.ms < 5000, `ended after ${out.ms} ms (backstop 1 s)`);
  await waitFor('the group to be empty', () => groupMembers(pgid).length === 0);
  assert.equal(out.stderr, '');
});

test('a command that ignores TERM is killed 2 s later', async () => {
  const r = start([
    'sh',
    '-c',
    'trap "" TERM; echo "pgid $(ps -o pgid= -p $$ | tr -d " ")"; while :; do sleep 0.1; done',
  ]);
  await waitFor('the pgid line', () => /pgid \d+/.test(r.stdout()));
  const pgid = Number(/pgid (\d+)/.exec(r.stdout())![1]);
  r.close();
  await r.done;
  await waitFor('the group to be empty', () => groupMembers(pgid).length === 0, 6000);
});

test('the argv builder refuses an empty command', () => {
  assert.throws(() => runWrapperArgv([]), /empty/);
});
