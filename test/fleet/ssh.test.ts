// `nix-hive ssh`, `scp` and `ssh-config` on the real fleet (1 jump host, 3 internal hosts behind it): pinned keys
// through the jump, a wrong pinned key refused with the expected fingerprint (whatever the user's own policy), the
// user's ~/.ssh/config still applying (temporary HOME), exit codes passed through.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawnProcess, type SpawnResult } from '../../lib/exec/spawn.ts';
import { fingerprint, parsePublicKey } from '../../lib/ssh/host-keys.ts';
import type { Fleet } from './harness/fleet.ts';
import { useJumpFleet, writeJumpHive } from './support/jump-hive.ts';

const BIN = fileURLToPath(new URL('../../bin/nix-hive.mjs', import.meta.url));

/** Runs the real CLI with its own HOME (and no ssh agent). */
function cli(args: string[], home: string): Promise<SpawnResult> {
  return spawnProcess(process.execPath, [BIN, ...args], {
    env: { HOME: home, SSH_AUTH_SOCK: undefined },
    timeoutMs: 60_000,
  });
}

const fp = (key: string) => fingerprint(parsePublicKey(key)!);

describe('nix-hive ssh / scp / ssh-config on the fleet', () => {
  let fleet: Fleet;
  let tmp: string;
  let home: string;
  let config: string;

  useJumpFleet('ssh', (j) => ({ fleet, tmp, home, config } = j));

  test('reaches an internal host through the jump host with pinned keys; the exit code passes through', async () => {
    const jump = fleet.hosts.jump!;
    const a = fleet.hosts.a!;
    const jumpBefore = await jump.connections(fleet.deployerAddress);
    const aBefore = await a.connections(jump.internalAddress);

    const r = await cli(
      ['ssh', '-c', config, 'a', '--', 'sh', '-c', 'hostname; echo "$1"; exit 7', 'x', "it's a b"],
      home,
    );
    assert.equal(r.exitCode, 7, r.stderr);
    assert.equal(r.stdout, "a\nit's a b\n");
    assert.equal(await a.connections(jump.internalAddress), aBefore + 1, 'a was reached from the jump host');
    assert.equal(
      await jump.connections(fleet.deployerAddress),
      jumpBefore + 1,
      'one connection to the jump host',
    );
    assert.equal(await a.connections(fleet.deployerAddress), 0, 'never directly');
  });

  test('a wrong pinned key on an internal host is refused with the expected fingerprint', async () => {
    const wrong = fleet.hosts.b!.hostKey;
    const cfg = await writeJumpHive(fleet, join(tmp, 'wrong-a'), { keys: { a: wrong } });
    const r = await cli(['ssh', '-c', cfg, 'a', '--', 'touch', '/root/should-not-exist'], home);
    assert.equal(r.exitCode, 255);
    assert.match(
      r.stderr,
      new RegExp(
        `^nix-hive: host key mismatch for a \\(root@${fleet.hosts.a!.internalAddress}:22 via jump\\): ` +
          `expected ${escape(fp(wrong))} \\(ssh-ed25519\\), the host offered ${escape(fp(fleet.hosts.a!.hostKey))}; not connecting$`,
        'm',
      ),
    );
    assert.match(
      r.stderr,
      /^nix-hive: hint: if a was reinstalled, put its new key in instances\.a\.hostKeys$/m,
    );
    assert.equal((await fleet.hosts.a!.exec(['test', '-e', '/root/should-not-exist'])).exitCode, 1);
  });

  test("a wrong pinned key stays refused even when the user's own config says StrictHostKeyChecking no", async () => {
    const lax = join(tmp, 'lax-home');
    await mkdir(join(lax, '.ssh'), { recursive: true, mode: 0o700 });
    await writeFile(
      join(lax, '.ssh', 'config'),
      'Host *\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n',
    );
    const cfg = await writeJumpHive(fleet, join(tmp, 'wrong-jump'), {
      keys: { jump: fleet.hosts.a!.hostKey },
    });
    const r = await cli(['ssh', '-c', cfg, 'b', '--', 'true'], lax);
    assert.equal(r.exitCode, 255);
    assert.match(r.stderr, /^nix-hive: cannot reach b through jump: host key mismatch for jump /m);
    assert.match(r.stderr, new RegExp(`expected ${escape(fp(fleet.hosts.a!.hostKey))}`));
  });

  test("the user's ~/.ssh/config still applies (temporary HOME)", async () => {
    const cfg = await writeJumpHive(fleet, join(tmp, 'no-identity'), { noIdentity: true });
    // Without the user's config there is no key to log in with.
    const bare = await cli(['ssh', '-c', cfg, 'c', '--', 'hostname'], home);
    assert.equal(bare.exitCode, 255);
    assert.match(
      bare.stderr,
      /^nix-hive: cannot reach c through jump: jump .* refused authentication as root$/m,
    );

    const user = join(tmp, 'user-home');
    await mkdir(join(user, '.ssh'), { recursive: true, mode: 0o700 });
    await writeFile(
      join(user, '.ssh', 'config'),
      `Host *\n  IdentityFile ${fleet.clientKey}\n  IdentitiesOnly yes\n  ConnectTimeout 1\n`,
    );
    const r = await cli(['ssh', '-c', cfg, 'c', '--', 'hostname'], user);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, 'c\n');
  });

  test('scp copies to and from an internal host by instance name', async () => {
    const local = join(tmp, 'up.txt');
    await writeFile(local, 'through the jump\n');
    const up = await cli(['scp', '-c', config, local, 'b:/root/up.txt'], home);
    assert.equal(up.exitCode, 0, up.stderr);
    assert.equal((await fleet.hosts.b!.exec(['cat', '/root/up.txt'])).stdout, 'through the jump\n');
    const down = await cli(['scp', '-c', config, 'b:/root/up.txt', join(tmp, 'down.txt')], home);
    assert.equal(down.exitCode, 0, down.stderr);
    assert.equal(await readFile(join(tmp, 'down.txt'), 'utf8'), 'through the jump\n');
  });

  test('unknown instances are input errors (exit 2) naming them', async () => {
    const r = await cli(['ssh', '-c', config, 'www-9', '--', 'true'], home);
    assert.equal(r.exitCode, 2);
    assert.equal(r.stderr, 'nix-hive: instance: unknown instance "www-9"\n');
    const s = await cli(['scp', '-c', config, 'nope:/x', tmp], home);
    assert.equal(s.exitCode, 2);
    assert.match(s.stderr, /^nix-hive: paths\.0: unknown instance "nope"/);
  });

  test('the printed ssh-config works with plain ssh -F', async () => {
    const kh = join(tmp, 'printed_known_hosts');
    const printedKh = await cli(['ssh-config', '-c', config, '--known-hosts'], home);
    assert.equal(printedKh.exitCode, 0, printedKh.stderr);
    await writeFile(kh, printedKh.stdout);
    const printed = await cli(['ssh-config', '-c', config, '--known-hosts-file', kh, '--batch'], home);
    assert.equal(printed.exitCode, 0, printed.stderr);
    const cfg = join(tmp, 'printed_ssh_config');
    await writeFile(cfg, printed.stdout, { mode: 0o600 });
    const r = await spawnProcess('ssh', ['-F', cfg, '--', 'c', 'hostname'], { env: { HOME: home } });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, 'c\n');
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
