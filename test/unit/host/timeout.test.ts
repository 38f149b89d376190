// A timed-out remote command returns promptly, even though ssh's ControlMaster still holds the command's stderr
// (here: a grandchild holding the pipes stands in for the master), with the output read so far.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnProcess, type Spawner } from '../../../lib/exec/spawn.ts';
import { hostsOf } from '../../../lib/host/host.ts';
import { openSshSession } from '../../../lib/ssh/session.ts';
import { fixtureHive } from '../ssh/hive-fixture.ts';

const spawn: Spawner = (command, args, options) => {
  if (command === 'ssh' && (args.includes('-O') || args.includes('-N'))) {
    return spawnProcess('true', [], options);
  }
  // "ssh" itself obeys the kill at once; what it handed on keeps the pipes open for 20 s.
  return spawnProcess(
    'sh',
    ['-c', 'echo partial; sleep 20 & trap "exit 255" TERM; sleep 20 & wait'],
    options,
  );
};

test('--timeout does not wait for the remote command to end', async () => {
  const session = await openSshSession(fixtureHive(), { spawn });
  try {
    const started = performance.now();
    const r = await hostsOf(session).get('portico')!.run(['sleep', '20'], { timeoutMs: 300 });
    const took = performance.now() - started;
    assert.equal(r.timedOut, true);
    assert.equal(r.stdout, 'partial\n');
    // Without the fix it takes the 20 s the pipes stay held; a loaded machine can take 3 s to kill and reap.
    assert.ok(took < 10_000, `took ${Math.round(took)} ms`);
  } finally {
    await session.close();
  }
});
