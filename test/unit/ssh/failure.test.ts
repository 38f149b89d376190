// sshFailure: ssh's own messages (captured from OpenSSH 9) become typed errors; a remote exit code does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SpawnResult } from '../../../lib/exec/spawn.ts';
import { sshFailure } from '../../../lib/ssh/failure.ts';
import { fingerprint, parsePublicKey } from '../../../lib/ssh/host-keys.ts';
import { instance, PORTICO_KEY } from './hive-fixture.ts';

const result = (stderr: string, exitCode = 255): SpawnResult => ({
  command: 'ssh',
  args: [],
  exitCode,
  signal: undefined,
  timedOut: false,
  stdout: '',
  stderr,
  durationMs: 1,
});

const pinned = instance('www-1', { address: '10.0.0.11', via: 'portico', hostKeys: [PORTICO_KEY] });
const plain = instance('db', { address: '192.0.2.7' });
const ctx = (inst = pinned) => ({ instance: inst, connectTimeout: 10 });

const CHANGED = `@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
The fingerprint for the ED25519 key sent by the remote host is
SHA256:nEQmE1RRPlFy4jdIT5YcRdOWcCRcxW00UKy9ZJtB6ew.
Host key for www-1 has changed and you have requested strict checking.
Host key verification failed.
`;

test('a changed key names the pinned fingerprint and the offered one', () => {
  const e = sshFailure(result(CHANGED), ctx());
  assert.equal(e?.kind, 'host-key-mismatch');
  const expected = fingerprint(parsePublicKey(PORTICO_KEY)!);
  assert.equal(
    e?.message,
    `host key mismatch for www-1 (root@10.0.0.11:22 via portico): expected ${expected} (ssh-ed25519), ` +
      'the host offered SHA256:nEQmE1RRPlFy4jdIT5YcRdOWcCRcxW00UKy9ZJtB6ew; not connecting',
  );
  assert.equal(e?.hint, 'if www-1 was reinstalled, put its new key in instances.www-1.hostKeys');
  assert.equal(e?.code, 'E_HOST');
});

test('a pinned host offering another key type is a mismatch too', () => {
  const err =
    'No RSA host key is known for www-1 and you have requested strict checking.\nHost key verification failed.\n';
  assert.equal(sshFailure(result(err), ctx())?.kind, 'host-key-mismatch');
});

test('an unknown key on an unpinned host says how to pin it', () => {
  const e = sshFailure(result('Host key verification failed.\n'), ctx(plain));
  assert.equal(e?.kind, 'host-key-unknown');
  assert.equal(e?.hint, 'pin it in instances.db.hostKeys, or add it to ~/.ssh/known_hosts');
});

test('connection failures', () => {
  const cases: Array<[string, string, string]> = [
    [
      'ssh: connect to host 192.0.2.7 port 22: Connection refused\n',
      'refused',
      'connection to db (root@192.0.2.7:22) refused',
    ],
    [
      'ssh: connect to host 192.0.2.7 port 22: Connection timed out\n',
      'timeout',
      'connection to db (root@192.0.2.7:22) timed out (ConnectTimeout 10 s)',
    ],
    [
      'Connection timed out during banner exchange\nConnection to 192.0.2.7 port 22 timed out\n',
      'timeout',
      '',
    ],
    [
      'root@192.0.2.7: Permission denied (publickey,password).\n',
      'auth',
      'db (root@192.0.2.7:22) refused authentication as root',
    ],
    ['Timeout, server 192.0.2.7 not responding.\n', 'connection-lost', ''],
    ['Connection to 192.0.2.7 closed by remote host.\n', 'connection-lost', ''],
    ['ssh: Could not resolve hostname nope: Name or service not known\n', 'unreachable', ''],
    ['ssh: connect to host 192.0.2.7 port 22: No route to host\n', 'unreachable', ''],
  ];
  for (const [stderr, kind, message] of cases) {
    const e = sshFailure(result(stderr), ctx(plain));
    assert.equal(e?.kind, kind, stderr);
    if (message) assert.equal(e?.message, message);
  }
});

test('behind a jump, a closed channel means the jump could not reach the target', () => {
  const e = sshFailure(
    result(
      'kex_exchange_identification: Connection closed by remote host\nConnection closed by UNKNOWN port 65535\n',
    ),
    ctx(),
  );
  assert.equal(e?.kind, 'unreachable');
  assert.equal(e?.message, 'portico could not open a connection to 10.0.0.11:22 for www-1');
});

test("the remote command's own exit codes are not ssh failures", () => {
  assert.equal(sshFailure(result('Connection refused\n', 1), ctx()), null);
  assert.equal(sshFailure(result('', 0), ctx()), null);
  assert.equal(sshFailure(result('my tool failed\n', 255), ctx()), null);
});
