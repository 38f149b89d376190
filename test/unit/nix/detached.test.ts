// The detached-activation scripts are fixed shell text whose only inputs are positional arguments, so
// they are run here for real, locally, against a temporary folder and a tiny stand-in for a system's
// switch-to-configuration (goals that leave the system profile alone). The fleet tests run them on hosts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseWaitOutput, startActivationArgv, waitActivationArgv } from '../../../lib/nix/detached.ts';
import { tempDir } from '../../helpers/tmp.ts';

const run = promisify(execFile);

async function fakeSystem(root: string, name: string, body: string): Promise<string> {
  const system = path.join(root, name);
  await mkdir(path.join(system, 'bin'), { recursive: true });
  const stc = path.join(system, 'bin', 'switch-to-configuration');
  await writeFile(stc, `#!/bin/sh\n${body}\n`);
  await chmod(stc, 0o755);
  return system;
}

async function activateLocally(dir: string, id: string, system: string, goal: 'test' | 'dry-activate') {
  const [cmd, ...args] = startActivationArgv(id, system, goal, dir);
  const started = performance.now();
  await run(cmd!, args);
  const startMs = performance.now() - started;
  const [wcmd, ...wargs] = waitActivationArgv(id, 10, dir);
  const { stdout } = await run(wcmd!, wargs);
  return { startMs, ...parseWaitOutput(stdout) };
}

test('start returns at once; wait reads back the exit status and the output', async () => {
  const root = tempDir('nix-hive-detached-');
  const dir = path.join(root, 'state');
  const ok = await fakeSystem(root, 'ok', 'sleep 1\necho "activating $1"\necho warn >&2');
  const r = await activateLocally(dir, 'run-1-a', ok, 'test');
  assert.ok(r.startMs < 900, `start waited for the switch (${r.startMs} ms)`);
  assert.deepEqual(r, { startMs: r.startMs, status: '0', lines: ['activating test', 'warn'] });

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
