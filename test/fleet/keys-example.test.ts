// Issue 13 item 6 on the real fleet: the example hive delivers portico's substituter key to the hosts behind it
// (/etc/nix/portico-substituter, 0600), and they substitute from portico with it. www-1 is wired as the demo
// wires its hosts: its substituter URI names the key, and it has no other ssh key, so its copy can only succeed
// once the key is there (with `--no keys` it cannot).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { run } from './harness/proc.ts';
import { cli, copyExample, hivePublicKey, reportOf, setNixConf } from './support/seed-fleet.ts';
import { useSeedFleet } from './support/use-fleet.ts';
import { instanceOf } from './support/faults.ts';
import { substituteWithKeyLines } from './support/substituter-key.ts';
import { statOnHost } from './support/keys-hive.ts';

let keyFile: string;
let hive: string;

const seed = useSeedFleet({ wired: [] }, async () => {
  const { fleet } = seed;
  await setNixConf(fleet, 'www-1', substituteWithKeyLines(fleet, await hivePublicKey()));
  await rm(path.join(fleet.hosts['www-1']!.dir, 'root', '.ssh', 'id_ed25519'));
  hive = await copyExample(fleet);
  keyFile = JSON.parse(await readFile(seed.env.NIX_HIVE_FLEET!, 'utf8')).substituterKey;
});

test('without the key (--no keys) www-1 cannot substitute from portico', async () => {
  const r = await cli(['deploy', '-c', hive, '--json', '--no', 'keys', 'portico', 'www-1'], {
    ...seed.env,
  });
  assert.equal(r.exitCode, 1, r.stderr);
  assert.equal(instanceOf(reportOf(r), 'www-1').outcome, 'failed');
  assert.equal(await statOnHost(seed.fleet.hosts['www-1']!, '/etc/nix/portico-substituter'), undefined);
});

test('the example delivers the key, and www-1 substitutes from portico with it', async () => {
  const { fleet } = seed;
  const r = await cli(['deploy', '-c', hive, '--json', 'portico', 'www-1'], { ...seed.env });
  assert.equal(r.exitCode, 0, r.stderr + r.stdout.slice(-2000));
  const www1 = fleet.hosts['www-1']!;
  const f = await statOnHost(www1, '/etc/nix/portico-substituter');
  assert.deepEqual([f?.owner, f?.group, f?.mode], ['root', 'root', '600']);
  const copyLog = r.events
    .filter((e) => e.kind === 'step-log' && e.step === 'copy:www>www-1')
    .map((e) => e.line)
    .join('\n');
  assert.match(copyLog, /copying path .* from 'ssh:\/\/root@/);
  // portico let www-1 in with the substituter key (its sshd log names the key's fingerprint).
  const fp = (await run(['ssh-keygen', '-lf', `${keyFile}.pub`])).stdout.split(' ')[1]!;
  const log = await portico(fleet).sshdLog();
  const from = www1.internalAddress!;
  assert.ok(
    log.split('\n').some((l) => l.includes('Accepted publickey') && l.includes(fp) && l.includes(from)),
    `portico accepted ${fp} from ${from}`,
  );
});

function portico(fleet: Fleet) {
  return fleet.hosts.portico!;
}
