// A build host named by an ssh-ng:// URI: parsed to the host the run connects to, refused (exit 2, the field
// named) where it cannot be used yet, given an ssh_config block that checks its key strictly against the
// operator's known_hosts whatever their own ~/.ssh/config says, and an ssh failure that says what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBuildHostUri, uriBuildHosts } from '../../../lib/inventory/resolve/build-host-uri.ts';
import { applyBuildHost, refuseBuildHost } from '../../../lib/cli/build-host-flag.ts';
import { InputError, formatProblem } from '../../../lib/errors.ts';
import { renderSshConfig } from '../../../lib/ssh/config.ts';
import { sshFailure } from '../../../lib/ssh/failure.ts';
import type { SpawnResult } from '../../../lib/exec/spawn.ts';
import { hive, instance } from '../../helpers/hive.ts';

function fleet() {
  return hive([
    instance('portico', 'portico'),
    instance('www-1', 'www', { via: 'portico', store: 'portico' }),
  ]);
}

function problems(fn: () => void): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e.problems.map(formatProblem);
    throw e;
  }
  return [];
}

test('user, host and port come from the URI; root and 22 unless it says otherwise', () => {
  const a = parseBuildHostUri('ssh-ng://builder');
  const b = parseBuildHostUri('ssh-ng://deploy@10.0.0.5:2222');
  assert.ok('host' in a && 'host' in b);
  assert.deepEqual([a.host.name, a.host.user, a.host.port], ['builder', 'root', 22]);
  assert.deepEqual([b.host.name, b.host.user, b.host.port], ['10.0.0.5', 'deploy', 2222]);
});

test('--build-host with a URI applies to every system; what a URI cannot carry yet is exit 2 naming the field', () => {
  const h = fleet();
  applyBuildHost(h, 'ssh-ng://root@builder');
  assert.equal(h.systems.www!.build?.host, 'ssh-ng://root@builder');
  assert.deepEqual([...uriBuildHosts(h).keys()], ['builder']);
  refuseBuildHost(h, ['portico', 'www-1']);

  const q = problems(() => applyBuildHost(fleet(), 'ssh-ng://builder?ssh-key=/k'));
  assert.equal(q.length, 1);
  assert.match(q[0]!, /^--build-host: store URI parameters/);

  const clash = fleet();
  clash.systems.www!.build = { host: 'ssh-ng://root@portico' };
  const c = problems(() => refuseBuildHost(clash, ['www-1']));
  assert.equal(c.length, 1);
  assert.match(c[0]!, /^systems\.www\.build\.host: .*also an instance of the hive: write "portico"/);
  // Not targeted: not refused.
  assert.deepEqual(
    problems(() => refuseBuildHost(clash, ['portico'])),
    [],
  );

  const two = fleet();
  two.systems.portico!.build = { host: 'ssh-ng://root@builder' };
  two.systems.www!.build = { host: 'ssh-ng://deploy@builder' };
  const t = problems(() => refuseBuildHost(two, ['portico', 'www-1']));
  assert.equal(t.length, 1);
  assert.match(t[0]!, /name one host with another user or port/);
  // An untargeted system's URI counts too: the run's session has one block per host name.
  assert.equal(problems(() => refuseBuildHost(two, ['www-1'])).length, 1);
});

test("its block wins over the operator's own config: strict, their known_hosts only, never accept-new", () => {
  const dir = mkdtempSync('/tmp/nh-');
  try {
    const h = fleet();
    h.systems.www!.build = { host: 'ssh-ng://deploy@builder:2222' };
    const user = join(dir, 'user_config');
    // What a lax ~/.ssh/config might say for every host; HostName and IdentityFile still come from it.
    writeFileSync(
      user,
      'Host *\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  User other\n' +
        'Host builder\n  HostName 192.0.2.44\n  IdentityFile /keys/builder\n',
    );
    const cfg = join(dir, 'ssh_config');
    const text = renderSshConfig(h, {
      knownHostsFile: join(dir, 'known_hosts'),
      controlDir: dir,
      userConfig: user,
      userKnownHostsFile: '/home/op/.ssh/known_hosts',
      buildHosts: [...uriBuildHosts(h).values()],
    });
    writeFileSync(cfg, text);
    const r = spawnSync('ssh', ['-G', '-F', cfg, '--', 'builder'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const g = new Map(r.stdout.split('\n').map((l) => [l.split(' ')[0]!, l.slice(l.indexOf(' ') + 1)]));
    assert.equal(g.get('stricthostkeychecking'), 'true');
    assert.equal(g.get('userknownhostsfile'), '/home/op/.ssh/known_hosts');
    assert.equal(g.get('user'), 'deploy');
    assert.equal(g.get('port'), '2222');
    assert.equal(g.get('hostname'), '192.0.2.44');
    assert.equal(g.get('identityfile'), '/keys/builder');
    assert.equal(g.get('controlpath'), join(dir, 'builder'));
    assert.equal(g.get('batchmode'), 'yes');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const result = (stderr: string): SpawnResult => ({
  command: 'ssh',
  args: [],
  exitCode: 255,
  signal: undefined,
  timedOut: false,
  stdout: '',
  stderr,
  durationMs: 1,
});

test('an unknown key names the build host and how to add it after checking it', () => {
  const p = parseBuildHostUri('ssh-ng://root@builder:2222');
  assert.ok('host' in p);
  const e = sshFailure(
    result(
      'No ED25519 host key is known for [builder]:2222 and you have requested strict checking.\nHost key verification failed.\n',
    ),
    { instance: p.host, connectTimeout: 10 },
  );
  assert.equal(e?.kind, 'host-key-unknown');
  assert.match(
    e!.message,
    /build host builder \(ssh-ng:\/\/root@builder:2222\) is not in your ~\/\.ssh\/known_hosts/,
  );
  assert.match(
    e!.hint ?? '',
    /check the host's key out of band, then add it: ssh-keyscan -p 2222 builder >> ~\/\.ssh\/known_hosts/,
  );
});
