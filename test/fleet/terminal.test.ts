// Issue 12, items 1, 2 and 14 on a pseudo-terminal (`script`), as an operator sees them: Ctrl-C typed on
// the terminal during a slow activation is the orderly stop (the running activation finishes, a summary,
// exit 130, nothing left) and not listr2's own exit; a failure after the plan was drawn ends the view
// instead of hanging; a 0-column terminal gets whole lines, not one character per line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { stubModule, writeStubHive } from './support/faults.ts';
import {
  activationStarted,
  assertAFinishedBInterrupted,
  assertNothingLeft,
  nixHive,
  startGroup,
} from './support/process-group.ts';

let fleet: Fleet;
let env: Record<string, string>;

useFleet({ a: 'public', b: 'public' }, (u) => ({ fleet, env } = u));

const hive = (name: string, delay: number) =>
  writeStubHive(fleet, path.join(fleet.dir, name), {
    modules: { slow: stubModule({ delay, seed: name }) },
    instances: { a: { system: 'slow', host: 'a' }, b: { system: 'slow', host: 'b' } },
  });

/** The text a terminal would show, without the escape sequences. */
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

test('Ctrl-C typed on the terminal: the running activation finishes, the rest is interrupted, exit 130, nothing left', async () => {
  const dir = await hive('ctrl-c', 4);
  const run = startGroup(nixHive('deploy', '-c', dir, '--parallel', '1', 'a', 'b'), env, {
    tty: { stty: 'cols 120 rows 40' },
  });
  await activationStarted(fleet.hosts.a!);
  run.child.stdin!.write('\x03'); // the terminal turns it into SIGINT for its foreground group
  const r = await run.done;
  run.child.stdin!.end();
  const out = plain(r.stdout);
  assert.match(out, /EXIT=130/, out);
  await assertAFinishedBInterrupted(out, dir);
  assert.match(out, /1 ok, 0 failed, 0 skipped, 1 interrupted/);
  assert.ok(run.seen.dirs.size > 0, 'the run used an ssh session');
  await assertNothingLeft(run, dir);
});

test('a failure after the plan was drawn ends the view: the command returns, nothing left', async () => {
  // A key that passes the load check but that nix refuses: deploy() throws after the plan event.
  const dir = path.join(fleet.dir, 'late-failure');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'bad.sec'), 'bad:AAAA\n');
  await writeStubHive(fleet, dir, {
    modules: { slow: stubModule({ seed: 'late-failure' }) },
    instances: { a: { system: 'slow', host: 'a' } },
    signingKey: './bad.sec',
  });
  const run = startGroup(nixHive('deploy', '-c', dir), env, { tty: { stty: 'cols 120 rows 40' } });
  const timer = setTimeout(() => run.signal('SIGKILL'), 60_000);
  const r = await run.done;
  clearTimeout(timer);
  run.child.stdin!.end();
  const out = plain(r.stdout);
  assert.equal(r.signal, null, `the deploy hung on the terminal:\n${out}`);
  assert.match(out, /build 0\/1/, 'the listr view was drawn');
  assert.match(out, /secret key is not valid/, out);
  assert.match(out, /EXIT=1\b/, out);
  await assertNothingLeft(run, dir);
});

test('a 0-column terminal gets whole lines (plain progress), not one character per line', async () => {
  const dir = await hive('narrow', 0);
  const run = startGroup(nixHive('deploy', '-c', dir), env, { tty: {} });
  const r = await run.done;
  run.child.stdin!.end();
  const out = plain(r.stdout);
  assert.match(out, /EXIT=0/, out);
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  const single = lines.filter((l) => l.trim().length === 1);
  assert.ok(single.length < 3, `${single.length} one-character lines:\n${out}`);
  assert.match(out, /ok\s+activate a|activate a.*ok/, out);
  await assertNothingLeft(run, dir);
});
