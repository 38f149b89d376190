// On the real fleet: the printed ssh_config works with `ssh -F` as it is (pinned keys from the known_hosts it
// names, through the jump host); a failed copy to an instance that is no store skips its activation naming the
// copy, not a "store", and shows its real time; an --allow-direct push is labelled as one; status
// --connect-timeout is the ConnectTimeout of its ssh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from './harness/proc.ts';
import { cli, copyExample, reportOf, setNixConf, wireToPortico } from './support/seed-fleet.ts';
import { useSeedFleet } from './support/use-fleet.ts';

let hiveDir: string;

const seed = useSeedFleet({}, async () => {
  hiveDir = await copyExample(seed.fleet);
});

test('ssh -F <printed config> reaches an instance behind the jump host, keys pinned', async () => {
  const printed = await cli(['ssh-config', '-c', hiveDir], seed.env);
  assert.equal(printed.exitCode, 0, printed.stderr);
  assert.doesNotMatch(printed.stdout, /Include undefined/);
  assert.match(printed.stdout, /^ {2}Include ~\/\.ssh\/config\n {2}Include \/etc\/ssh\/ssh_config$/m);
  assert.match(printed.stdout, /^ {2}StrictHostKeyChecking yes$/m);
  const file = path.join(seed.fleet.dir, 'printed_ssh_config');
  await writeFile(file, printed.stdout);
  const r = await run(['ssh', '-F', file, '-o', 'BatchMode=yes', 'www-2', '--', 'hostname'], {
    env: seed.env,
    timeoutMs: 60_000,
  });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'www-2');
});

test('a failed copy to www-2 (no store) skips its activation naming the copy, with its real time', async () => {
  await setNixConf(seed.fleet, 'www-2', []); // not wired to portico: the preflight refuses the copy
  try {
    const r = await cli(['deploy', '-c', hiveDir, '--json', 'www-2'], seed.env);
    assert.equal(r.exitCode, 1, r.stderr);
    const report = reportOf(r);
    const copy = report.steps.find((s: any) => s.id === 'copy:www>www-2');
    const activate = report.steps.find((s: any) => s.id === 'activate:www-2');
    assert.equal(copy.outcome, 'failed');
    assert.ok(copy.durationMs >= 1, `the failed copy took ${copy.durationMs} ms`);
    assert.equal(activate.outcome, 'skipped');
    assert.match(activate.reason, /^copy to www-2 failed: www-2 is not wired to substitute from portico/);
    assert.doesNotMatch(activate.reason, /store www-2/);
    const row = report.instances.find((i: any) => i.instance === 'www-2');
    assert.equal(row.outcome, 'failed');
    assert.ok(row.durationMs >= copy.durationMs, `TIME ${row.durationMs} ms`);

    const plain = await cli(['deploy', '-c', hiveDir, 'www-2'], seed.env);
    assert.match(plain.stdout, /^www-2\s+www\s+failed\s+(\d+ms|\d+\.\d+s)\s/m);
    assert.doesNotMatch(plain.stdout, /^www-2\s+www\s+failed\s+0ms/m);

    const direct = await cli(['deploy', '-c', hiveDir, '--json', '--allow-direct', 'www-2'], seed.env);
    assert.equal(direct.exitCode, 0, direct.stderr);
    const end = direct.events.find((e) => e.kind === 'step-end' && e.step === 'copy:www>www-2');
    assert.equal(end?.label, 'copy www → www-2 (pushed from here, --allow-direct)');
  } finally {
    await wireToPortico(seed.fleet, 'www-2');
  }
});

test('status --connect-timeout bounds the wait for a host that does not answer', async () => {
  const www3 = seed.fleet.hosts['www-3']!;
  await www3.freezeSshd();
  try {
    const r = await cli(['status', '-c', hiveDir, '--json', '--connect-timeout', '2', 'www-3'], seed.env);
    assert.equal(r.exitCode, 1, r.stderr);
    const [row] = JSON.parse(r.stdout);
    assert.equal(row.status, 'unreachable');
    assert.match(row.detail, /timed out \(ConnectTimeout 2 s\)/);
  } finally {
    await www3.thawSshd();
  }
});
