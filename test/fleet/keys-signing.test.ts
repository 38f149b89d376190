// Issue 13 item 5 on the real fleet: the signing key is read only by the steps that sign. With its file
// absent, `ssh-config`, `build --no build`, `plan`, `run`, `ssh` and `status` work, and `deploy` stops with
// one line before anything starts; `signingKey: { command: [...] }` and `{ env: 'NAME' }` sign and deploy
// (the key reaches `nix store sign` on stdin); `--signing-key` beats NIX_HIVE_SIGNING_KEY beats the config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { cli, EXAMPLE, reportOf } from './support/seed-fleet.ts';
import { stubModule } from './support/faults.ts';
import { writeKeysHive } from './support/keys-hive.ts';

const SECRET = path.join(EXAMPLE, 'keys', 'hive.sec');
let fleet: Fleet;
let env: Record<string, string>;
let dir: string;

async function hiveWith(signingKey: unknown, seed: string) {
  await writeKeysHive(fleet, dir, {
    modules: { small: stubModule({ seed }) },
    instances: { a: { system: 'small', host: 'a' } },
    signingKey,
  });
  return dir;
}

useFleet({ a: 'public' }, async (u) => {
  ({ fleet, env } = u);
  await mkdir(path.join(env.HOME!, '.ssh'), { recursive: true, mode: 0o700 });
  delete env.NIX_HIVE_SIGNING_KEY;
  dir = path.join(fleet.dir, 'hive');
});

/** The signatures of the system the host now runs, as the host's own Nix reports them. */
async function hostSignatures(): Promise<string> {
  const a = fleet.hosts.a!;
  const current = (await a.exec(['readlink', '-f', '/run/current-system'])).stdout.trim();
  const r = await a.exec([
    'nix',
    '--extra-experimental-features',
    'nix-command',
    'path-info',
    '--sigs',
    current,
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout;
}

test('with the signing key file absent, the commands that do not sign work; deploy stops with one line', async () => {
  await hiveWith('./absent.sec', 'absent');
  for (const args of [
    ['ssh-config', '-c', dir],
    ['build', '--no', 'build', '-c', dir],
    ['plan', '-c', dir],
    ['run', '-c', dir, 'a', '--', 'true'],
    ['ssh', '-c', dir, 'a', '--', 'true'],
    ['status', '-c', dir],
  ]) {
    const r = await cli(args, env, 60_000);
    assert.ok(
      r.exitCode === 0 || (args[0] === 'status' && r.exitCode !== 2),
      `${args[0]}: exit ${r.exitCode}\n${r.stderr}`,
    );
    assert.doesNotMatch(r.stderr, /signingKey/, args[0]);
  }
  const d = await cli(['deploy', '-c', dir, 'a'], env, 60_000);
  assert.equal(d.exitCode, 2, d.stderr);
  assert.equal(d.stderr, `nix-hive: signingKey: file not found: ${path.join(dir, 'absent.sec')}\n`);
});

test('signingKey { command } signs and deploys; the key goes to nix store sign on stdin', async () => {
  await hiveWith({ command: ['cat', SECRET] }, 'command');
  const r = await cli(['deploy', '-c', dir, '--json', 'a'], env);
  assert.equal(r.exitCode, 0, r.stderr + r.stdout.slice(-1500));
  assert.equal(reportOf(r).instances[0].outcome, 'ok');
  assert.match(await hostSignatures(), /hive-demo-1:/);
});

test('signingKey { env } signs and deploys; unset, deploy stops with one line', async () => {
  await hiveWith({ env: 'NH_TEST_SIGNING_KEY' }, 'env');
  const unset = await cli(['deploy', '-c', dir, 'a'], env, 60_000);
  assert.equal(unset.exitCode, 2);
  assert.equal(
    unset.stderr,
    'nix-hive: signingKey.env: the environment variable NH_TEST_SIGNING_KEY is not set\n',
  );
  const key = (await readFile(SECRET, 'utf8')).trim();
  const r = await cli(['deploy', '-c', dir, '--json', 'a'], { ...env, NH_TEST_SIGNING_KEY: key });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(await hostSignatures(), /hive-demo-1:/);
});

test('--signing-key beats NIX_HIVE_SIGNING_KEY, which beats the config', async () => {
  await hiveWith('./absent.sec', 'override');
  const keyOf = async (args: string[], extra: Record<string, string> = {}) => {
    const r = await cli(['build', '--no', 'build', '-c', dir, ...args], { ...env, ...extra }, 60_000);
    assert.equal(r.exitCode, 0, r.stderr);
    return JSON.parse(r.stdout).signingKey;
  };
  assert.equal(await keyOf([]), path.join(dir, 'absent.sec'));
  assert.equal(await keyOf([], { NIX_HIVE_SIGNING_KEY: '/env/hive.sec' }), '/env/hive.sec');
  assert.equal(await keyOf(['--signing-key', SECRET], { NIX_HIVE_SIGNING_KEY: '/env/hive.sec' }), SECRET);
  // And a deploy signs with the key named on the command line although the config's file is absent.
  const r = await cli(['deploy', '-c', dir, '--json', '--signing-key', SECRET, 'a'], env);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(await hostSignatures(), /hive-demo-1:/);
});
