// The detached-activation scripts are fixed shell text whose only inputs are positional arguments, so
// they are run here for real, locally, against a temporary folder and a tiny stand-in for a system's
// switch-to-configuration (goals that leave the system profile alone). The fleet tests run them on hosts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { existsSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseWaitOutput, startActivationArgv, waitActivationArgv } from '../../../lib/nix/detached.ts';
import { tempDir } from '../../helpers/tmp.ts';

const execFileP = promisify(execFile);

/**
 * The scripts prefer systemd-run where /run/systemd/system exists: on a machine with systemd that would
 * start units on the machine itself. They run here with a PATH of only the tools they need, so they
 * always take the `setsid` way. No `date` among them: the waits read no clock (a process per reading).
 */
const PATH = (() => {
  const bin = tempDir('nix-hive-detached-bin-');
  for (const tool of ['sh', 'mkdir', 'rm', 'mv', 'cat', 'sleep', 'setsid', 'readlink', 'mkfifo', 'timeout']) {
    const found = ['/usr/bin', '/bin'].map((d) => path.join(d, tool)).find((f) => existsSync(f));
    if (!found) throw new Error(`${tool} not found`);
    symlinkSync(found, path.join(bin, tool));
  }
  return bin;
})();
const run = (cmd: string, args: string[], opts: { timeout?: number } = {}) =>
  execFileP(path.join(PATH, cmd), args, { ...opts, env: { PATH } });

/** Shell that waits for `gate`, at most a minute: a test that fails before opening it leaves nothing running. */
const untilGate = (gate: string) =>
  `i=0; while [ ! -e '${gate}' ] && [ "$i" -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done`;

async function fakeSystem(root: string, name: string, body: string): Promise<string> {
  const system = path.join(root, name);
  await mkdir(path.join(system, 'bin'), { recursive: true });
  const stc = path.join(system, 'bin', 'switch-to-configuration');
  await writeFile(stc, `#!/bin/sh\n${body}\n`);
  await chmod(stc, 0o755);
  await writeFile(path.join(system, 'nixos-version'), '24.11.stub\n');
  return system;
}

/** Starts the activation, then opens `gate` (if given): a start that waited for the switch never returns. */
async function activateLocally(
  dir: string,
  id: string,
  system: string,
  goal: 'test' | 'dry-activate',
  gate?: string,
) {
  const [cmd, ...args] = startActivationArgv(id, system, goal, dir);
  await run(cmd!, args, { timeout: 30_000 }).catch((e) => {
    throw new Error(`start did not return while the switch waited for it (${e.message})`);
  });
  if (gate) await writeFile(gate, '');
  const [wcmd, ...wargs] = waitActivationArgv(id, 30, dir);
  const { stdout } = await run(wcmd!, wargs);
  return parseWaitOutput(stdout);
}

test('start returns at once; wait reads back the exit status and the output', async () => {
  const root = tempDir('nix-hive-detached-');
  const dir = path.join(root, 'state');
  // The switch runs only once the test opens its gate, which it does after start has returned.
  const gate = path.join(root, 'gate');
  const ok = await fakeSystem(root, 'ok', `${untilGate(gate)}\necho "activating $1"\necho warn >&2`);
  const r = await activateLocally(dir, 'run-1-a', ok, 'test', gate);
  assert.deepEqual(r, { status: '0', lines: ['activating test', 'warn'] });

  const bad = await fakeSystem(root, 'bad', 'echo "error: no" >&2\nexit 4');
  const f = await activateLocally(dir, 'run-1-b', bad, 'dry-activate');
  assert.equal(f.status, '4');
  assert.deepEqual(f.lines, ['error: no']);
  assert.deepEqual((await readdir(dir)).sort(), [
    'run-1-a.log',
    'run-1-a.status',
    'run-1-b.log',
    'run-1-b.status',
  ]);
});

test('hostile paths are data: nothing in them is run by a shell', async () => {
  const root = tempDir('nix-hive-detached-');
  const marker = path.join(root, 'pwned');
  const system = await fakeSystem(
    root,
    `s $(touch ${marker}) ;touch ${marker}; \`touch ${marker}\``,
    'echo fine',
  );
  const r = await activateLocally(path.join(root, 'state'), 'run-2-x', system, 'test');
  assert.equal(r.status, '0');
  assert.deepEqual(r.lines, ['fine']);
  assert.ok(!existsSync(marker));
});

test('wait gives up with 124 when the activation never ends', async () => {
  const root = tempDir('nix-hive-detached-');
  const [cmd, ...args] = waitActivationArgv('never', 0.4, root);
  await assert.rejects(run(cmd!, args), (e: { code: number }) => e.code === 124);
});

test('a path that is not a NixOS system is refused before anything runs (no nixos-version)', async () => {
  const root = tempDir('nix-hive-detached-');
  const dir = path.join(root, 'run');
  const system = await fakeSystem(root, 'not-nixos', `echo ran > ${JSON.stringify(path.join(root, 'ran'))}`);
  await run('rm', [path.join(system, 'nixos-version')]);
  const [cmd, ...args] = startActivationArgv('id-not-nixos', system, 'test', dir);
  const r = await run(cmd!, args).then(
    () => assert.fail('start succeeded'),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(r.code, 3);
  assert.match(r.stderr, /is not a NixOS system \(it lacks nixos-version or bin\/switch-to-configuration\)/);
  await new Promise((res) => setTimeout(res, 500));
  assert.equal(existsSync(path.join(root, 'ran')), false, 'its switch-to-configuration never ran');
});

test('the wait blocks until the switch ends and wakes it: it needs no `sleep` to wait', async () => {
  const root = tempDir('nix-hive-detached-');
  const dir = path.join(root, 'state');
  const gate = path.join(root, 'gate');
  const system = await fakeSystem(root, 'slow', `${untilGate(gate)}\necho done`);
  const [cmd, ...args] = startActivationArgv('run-3-a', system, 'test', dir);
  await run(cmd!, args);
  // The waiter's PATH lacks `sleep`: a poll loop would spin through its polls and give up (124) at once.
  const bin = tempDir('nix-hive-detached-nosleep-');
  for (const tool of ['sh', 'mkdir', 'rm', 'cat', 'mkfifo', 'timeout'])
    symlinkSync(path.join(PATH, tool), path.join(bin, tool));
  const [wcmd, ...wargs] = waitActivationArgv('run-3-a', 600, dir);
  const waiting = execFileP(path.join(bin, wcmd!), wargs, { env: { PATH: bin }, timeout: 60_000 });
  await new Promise((res) => setTimeout(res, 1000));
  await writeFile(gate, '');
  assert.deepEqual(parseWaitOutput((await waiting).stdout), { status: '0', lines: ['done'] });
  assert.deepEqual((await readdir(dir)).sort(), ['run-3-a.log', 'run-3-a.status'], 'the waiter left no FIFO');
});
