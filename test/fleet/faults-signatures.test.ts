// Issue 9, item 6 on the real fleet: a dependent that trusts only the hive key never takes a path signed
// by another key. With the hive's signingKey swapped for a rogue key the preflight stops the host
// ("does not trust the hive key …") before anything is copied to it; and when its store holds a path
// signed by the rogue key only, Nix itself refuses to substitute it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet, FleetHost } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { must } from './harness/proc.ts';
import { cli, EXAMPLE, hivePublicKey, reportOf, systemLinks, wireTo } from './support/seed-fleet.ts';
import { instanceOf, outcomes, stubModule, writeStubHive } from './support/faults.ts';

let fleet: Fleet;
let env: Record<string, string>;
let rogueKey: string;

const hiveFor = (name: string, signingKey: string) =>
  writeStubHive(fleet, path.join(fleet.dir, name), {
    signingKey,
    modules: { gate: stubModule(), web: stubModule({ seed: `sigs-${fleet.runId}`, payload: '64K' }) },
    instances: {
      portico: { system: 'gate', host: 'portico' },
      w1: { system: 'web', host: 'w1', via: 'portico', store: 'portico' },
    },
  });

/** `nix path-info --sigs --json` of a store path on a host: the signatures it holds for it. */
const signaturesOf = async (host: FleetHost, storePath: string) =>
  (
    await host.exec([
      'nix',
      '--extra-experimental-features',
      'nix-command',
      'path-info',
      '--sigs',
      '--json',
      storePath,
    ])
  ).stdout;

useFleet({ portico: 'both', w1: 'internal' }, async (u) => {
  ({ fleet, env } = u);
  rogueKey = path.join(fleet.dir, 'rogue.sec');
  await must(['nix-store', '--generate-binary-cache-key', 'rogue-1', rogueKey, `${rogueKey}.pub`], {
    env: fleet.nixEnv(),
  });
  await wireTo(fleet.hosts.w1!, fleet.hosts.portico!, await hivePublicKey());
});

test('signed with a key the dependent does not trust: stopped by the preflight, nothing copied to it', async () => {
  const dir = await hiveFor('rogue', rogueKey);
  const w1 = fleet.hosts.w1!;
  const r = await cli(['deploy', '-c', dir, '--json', 'w1'], env, 120_000);
  assert.equal(r.exitCode, 1, r.stderr);
  const report = reportOf(r);
  assert.deepEqual(outcomes(report), { w1: 'failed' });
  assert.match(
    instanceOf(report, 'w1').reason,
    /^w1 is not wired to substitute from portico: it does not trust the hive key rogue-1 \(trusted-public-keys\)/,
  );
  const out = report.systems.web.outPath as string;
  assert.notEqual((await w1.exec(['nix-store', '--check-validity', out])).exitCode, 0, 'w1 has no copy');
  assert.notEqual((await w1.exec(['test', '-e', '/nix/var/nix/profiles/system'])).exitCode, 0, 'no profile');
  // portico did get it, signed by the rogue key alone (the next test relies on that).
  const sigs = await signaturesOf(fleet.hosts.portico!, out);
  assert.match(sigs, /rogue-1:/);
  assert.doesNotMatch(sigs, /hive-demo-1:/);
});

test('a store path signed by another key is refused by Nix on the dependent, and the deploy says so', async () => {
  const dir = await hiveFor('hive', path.join(EXAMPLE, 'keys', 'hive.sec'));
  const r = await cli(['deploy', '-c', dir, '--json', 'w1'], env, 120_000);
  assert.equal(r.exitCode, 0, r.stderr);
  const report = reportOf(r);
  const out = report.systems.web.outPath as string;
  const log = await readFile(path.join(report.logDir, 'w1.log'), 'utf8');
  // Nix's own refusal, for the system path among others…
  assert.ok(
    log.includes(
      `warning: the substitute for '${out}' from 'ssh://root@${fleet.hosts.portico!.internalAddress}' is not signed by any of the keys in 'trusted-public-keys'`,
    ),
    log,
  );
  // None of what Nix refused was substituted after all (a path shared with earlier systems, such as the stub's
  // coreutils, is already in portico's store signed by the hive key: w1 rightly substitutes that one).
  const refused = new Set([...log.matchAll(/the substitute for '([^']+)' from 'ssh:/g)].map((m) => m[1]));
  const substituted = [...log.matchAll(/copying path '([^']+)' from 'ssh:/g)].map((m) => m[1]);
  assert.deepEqual(
    substituted.filter((p) => refused.has(p)),
    [],
    'nothing Nix refused was substituted',
  );
  // …and the deploy's warning, outside the log.
  // It counts what Nix refused: every path of the closure (payload, kernel files, the system itself).
  const refusals = (log.match(/is not signed by any of the keys in 'trusted-public-keys'/g) ?? []).length;
  assert.ok(refusals >= 5, `Nix refused ${refusals} path(s)`);
  const warning = r.events.find((e) => e.kind === 'message' && e.level === 'warn');
  assert.match(
    warning?.text ?? '',
    new RegExp(
      `^w1 refused ${refusals} path\\(s\\) from its substituters: not signed by any key in its trusted-public-keys; they were pushed from here instead$`,
    ),
  );
  // What w1 holds came from the deployer, signed with the hive key.
  assert.match(await signaturesOf(fleet.hosts.w1!, out), /hive-demo-1:/);
  assert.deepEqual(await systemLinks(fleet, 'w1'), { current: out, profile: out });
});
