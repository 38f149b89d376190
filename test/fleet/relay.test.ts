// Issue 16, part 1 on the real fleet: relay fan-out. 1 store host (portico) + 16 hosts behind it, every NIC
// shaped. The relay tree (k = 4) delivers to all 16 with relayed children pulling from their parent over
// the internal network with a per-run key; a relay that serves a closure not signed by the hive key is
// refused by its children (they substitute from the store instead); a relay killed mid-deploy leaves its
// children to the store host and every host is deployed; no relay credential is left on any host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { writeRelayHive } from './support/relay-hive.ts';
import { netnsPids } from './harness/dispose.ts';
import { must, run } from './harness/proc.ts';
import { BIN, cli, hivePublicKey, reportOf, wireTo, type CliRun } from './support/seed-fleet.ts';
import { outcomes, sleep, startCli, stubModule } from './support/faults.ts';

const HOSTS = Array.from({ length: 16 }, (_v, i) => `h${String(i + 1).padStart(2, '0')}`);
let fleet: Fleet;
let env: Record<string, string>;
let dir: string;

const hosts = Object.fromEntries(HOSTS.map((name) => [name, 'internal' as const]));
useFleet(
  { portico: 'both', ...hosts },
  async (u) => {
    ({ fleet, env } = u);
    dir = await writeRelayHive(fleet, HOSTS);
  },
  { shapeHostsMbit: 40 },
);

/** A new web closure for each test (fresh paths everywhere): `payload` over 4 store paths. */
const newWebSystem = (seed: string, payload: string) =>
  writeFile(
    path.join(dir, 'web.nix'),
    stubModule({ seed: `${seed}-${fleet.runId}`, payload, extra: '  hive.payloadPaths = 4;' }),
  );

interface Tree {
  feeds: Array<{ parent: string; children: string[] }>;
  rounds: number;
}
function treeOf(r: CliRun | { events: Array<Record<string, any>> }): Tree {
  const plan = r.events.find((e) => e.kind === 'plan')!.plan;
  assert.equal(plan.relay.trees.length, 1, 'one tree: web behind portico');
  return plan.relay.trees[0];
}
const childrenOf = (t: Tree, parent: string) => t.feeds.find((f) => f.parent === parent)?.children ?? [];
/** The first relay (a child of the store) that feeds others. */
const firstRelay = (t: Tree) => childrenOf(t, 'portico').find((r) => childrenOf(t, r).length > 0)!;
const logOf = (r: CliRun | { stdout: string }, host: string) => {
  const report = reportOf(r as CliRun);
  return readFileSync(path.join(report.logDir, `${host}.log`), 'utf8');
};

/** No relay key line in any authorized_keys, no relay folder under any /run. */
async function assertNoRelayCredential(): Promise<void> {
  for (const h of Object.values(fleet.hosts)) {
    const keys = await readFile(path.join(h.dir, 'root', '.ssh', 'authorized_keys'), 'utf8');
    assert.doesNotMatch(keys, /nix-hive-relay/, `${h.name} still authorizes a relay key`);
    const folder = await h.exec(['test', '-e', '/run/nix-hive-relay']);
    assert.notEqual(folder.exitCode, 0, `${h.name} still has /run/nix-hive-relay`);
  }
}

/** The key names that signed every path of a host's closure of `outPath`. */
async function signers(host: string, outPath: string): Promise<Set<string>[]> {
  const r = await fleet.hosts[host]!.exec([
    'nix',
    '--extra-experimental-features',
    'nix-command',
    'path-info',
    '--recursive',
    '--sigs',
    outPath,
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => new Set([...l.matchAll(/(\S+):\S+==?/g)].map((m) => m[1]!)));
}

// These tests are about the relay: small closures are pulled too, never pushed from here (`--push-below 0`).
const deploy = (...args: string[]) =>
  cli(
    ['deploy', '-c', dir, '--json', '--no-state', '--parallel', '16', '--push-below', '0', ...args],
    env,
    240_000,
  );

test('k = 4: the store feeds 4, relays feed the other 12 host to host, signed paths, nothing left behind', async () => {
  await newWebSystem('tree', '2M');
  const clientFp = (await must(['ssh-keygen', '-lf', `${fleet.clientKey}.pub`])).stdout.split(' ')[1]!;
  const r = await deploy('--relay-fanout', '4');
  assert.equal(r.exitCode, 0, r.stderr + r.stdout.slice(-3000));
  // Many steps listen to the run's stop and kill signals at once: no node warning on the operator's stderr.
  assert.doesNotMatch(r.stderr, /Warning/, r.stderr);
  const report = reportOf(r);
  assert.deepEqual(new Set(Object.values(outcomes(report))), new Set(['ok']));
  const tree = treeOf(r);
  assert.equal(tree.rounds, 2);
  assert.equal(childrenOf(tree, 'portico').length, 4);
  const out = report.systems.web.outPath as string;
  const porticoAddr = fleet.hosts.portico!.internalAddress!;
  for (const relay of childrenOf(tree, 'portico')) {
    assert.match(logOf(r, relay), new RegExp(`copying path '[^']*' from 'ssh://root@${porticoAddr}'`));
    for (const child of childrenOf(tree, relay)) {
      const log = logOf(r, child);
      assert.match(log, /copying path '[^']*' from 'ssh:\/\/relay-parent'/, `${child} pulled from ${relay}`);
      assert.doesNotMatch(log, /from 'ssh:\/\/root@/, `${child} took nothing from the store`);
      // The parent let the child in with the run's own key, not the deployer's (authorized everywhere here).
      const childAddr = fleet.hosts[child]!.internalAddress!;
      const accepted = [
        ...(await fleet.hosts[relay]!.sshdLog()).matchAll(
          new RegExp(
            `Accepted publickey for root from ${childAddr.replaceAll('.', '\\.')} port \\d+ ssh2: ED25519 (\\S+)`,
            'g',
          ),
        ),
      ].map((m) => m[1]);
      assert.equal(accepted.length, 1, `${child} connected to ${relay} once`);
      assert.notEqual(accepted[0], clientFp, `${child} used a key of its own`);
      const sigs = await signers(child, out);
      assert.ok(sigs.length >= 5);
      for (const s of sigs)
        assert.ok(s.has('hive-demo-1'), `${child}: every path carries the hive signature`);
    }
  }
  await assertNoRelayCredential();
});

test('a relay holding a closure signed by an untrusted key is refused by its children; the store serves them', async () => {
  await newWebSystem('rogue', '512K');
  const rogue = path.join(fleet.dir, 'rogue.sec');
  await must(['nix-store', '--generate-binary-cache-key', 'rogue-1', rogue, `${rogue}.pub`], {
    env: fleet.nixEnv(),
  });
  const built = await cli(['build', '-c', dir, '--no-state', 'web'], env);
  assert.equal(built.exitCode, 0, built.stderr);
  const out = JSON.parse(built.stdout).systems.web.outPath as string;
  const planned = await run([process.execPath, BIN, 'plan', '-c', dir, '--json', '--relay-fanout', '4'], {
    env,
  });
  const plan = JSON.parse(planned.stdout);
  const tree = plan.relay.trees[0] as Tree;
  const relay = firstRelay(tree);
  // The relay gets the closure signed by the rogue key only, before the deploy (it then has it: no copy).
  const nixEnv = { ...env, NIX_SSHOPTS: `-F ${fleet.sshConfig}` };
  const nix = ['nix', '--extra-experimental-features', 'nix-command'];
  await must([...nix, 'store', 'sign', '--recursive', '--key-file', rogue, out], { env: nixEnv });
  await must([...nix, 'copy', '--to', `ssh://${relay}`, out], { env: nixEnv });
  assert.deepEqual(
    (await signers(relay, out)).map((s) => [...s].sort().join()),
    (await signers(relay, out)).map(() => 'rogue-1'),
  );

  const r = await deploy('--relay-fanout', '4');
  assert.equal(r.exitCode, 0, r.stderr + r.stdout.slice(-3000));
  assert.deepEqual(new Set(Object.values(outcomes(reportOf(r)))), new Set(['ok']));
  assert.deepEqual(treeOf(r).feeds, tree.feeds);
  const children = childrenOf(tree, relay);
  assert.ok(children.length > 0);
  for (const child of children) {
    const log = logOf(r, child);
    assert.match(
      log,
      /lacks a valid signature|not signed by any of the keys/,
      `${child} refused the relay's paths`,
    );
    for (const s of await signers(child, out)) {
      // The relay's copies carry the rogue signature alone: these came from the store.
      assert.ok(s.has('hive-demo-1'), `${child} holds the hive-signed paths, not the relay's`);
    }
  }
  const warned = r.events.filter((e) => e.kind === 'message' && e.level === 'warn').map((e) => e.text);
  for (const child of children)
    assert.ok(
      warned.some(
        (t: string) =>
          t.startsWith(`relay ${relay} failed for ${child}: `) && t.includes('substitutes from portico'),
      ),
      `re-parented ${child}: ${warned.join(' | ')}`,
    );
  await assertNoRelayCredential();
});

test('a child that does not trust the hive key fails on its own: its relay goes on serving its siblings', async () => {
  await newWebSystem('distrust', '256K');
  const planned = await run([process.execPath, BIN, 'plan', '-c', dir, '--json', '--relay-fanout', '4'], {
    env,
  });
  const tree = JSON.parse(planned.stdout).relay.trees[0] as Tree;
  const relay = firstRelay(tree);
  const [child, ...siblings] = childrenOf(tree, relay);
  assert.ok(child && siblings.length >= 2, `${relay} feeds several: ${childrenOf(tree, relay)}`);
  const conf = (trusted: string) => wireTo(fleet.hosts[child]!, fleet.hosts.portico!, trusted);
  await conf('other-1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
  try {
    const r = await deploy('--relay-fanout', '4');
    assert.notEqual(r.exitCode, 0, 'the distrusting child fails the deploy');
    const o = outcomes(reportOf(r));
    assert.equal(o[child], 'failed');
    const warned = r.events.filter((e) => e.kind === 'message' && e.level === 'warn').map((e) => e.text);
    assert.ok(
      warned.some((t: string) =>
        t.startsWith(`relay ${relay} failed for ${child}: ${child} does not trust the hive key`),
      ),
      warned.join(' | '),
    );
    // Not the relay's fault: the siblings fed after the refusal still pull from it.
    for (const s of siblings) {
      assert.equal(o[s], 'ok', s);
      assert.match(logOf(r, s), new RegExp(`pulls \\S+ from relay ${relay}\\b`), s);
      assert.ok(
        !warned.some((t: string) => t.startsWith(`relay ${relay} failed for ${s}:`)),
        `${s} re-parented`,
      );
    }
    await assertNoRelayCredential();
  } finally {
    await conf(await hivePublicKey());
  }
});

/** nix-store --serve (read-only: a relay serving a child) processes of a host. */
function servingPids(host: string): number[] {
  return netnsPids(fleet.hosts[host]!.netns).filter((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return /nix-store$/.test(argv[0] ?? '') && argv.includes('--serve') && !argv.includes('--write');
    } catch {
      return false;
    }
  });
}

test('a relay killed mid-deploy: its children are served by the store host, every host is deployed', async () => {
  await newWebSystem('killed', '6M');
  const live = startCli(
    [
      'deploy',
      '-c',
      dir,
      '--json',
      '--no-state',
      '--parallel',
      '16',
      '--relay-fanout',
      '4',
      '--connect-timeout',
      '3',
    ],
    env,
  );
  const plan = (await live.waitForEvent((e) => e.kind === 'plan')).plan;
  const tree = plan.relay.trees[0] as Tree;
  const relay = firstRelay(tree);
  const host = fleet.hosts[relay]!;
  let killed = 0;
  try {
    // Wait until one of its children is pulling from it, then kill it: no new connections, and the
    // transfers it serves die mid-stream.
    for (let i = 0; i < 1200 && servingPids(relay).length === 0; i++) await sleep(50);
    await host.stopSshd();
    // Sessions that were already opening go on without the listener: kill what they serve until every child
    // of the relay has ended its copy (a fixed while let a late child's pull through, seen under load).
    let childrenDone = false;
    const killer = (async () => {
      while (!childrenDone) {
        for (const pid of servingPids(relay)) {
          process.kill(pid, 'SIGKILL');
          killed++;
        }
        await sleep(30);
      }
    })();
    // Once its children have gone to the store, the relay comes back: its own switch is confirmed over a
    // new connection (with sshd down for good it would rightly be rolled back, which is not this test's
    // subject; a faster relay reaches that confirmation while sshd is still down).
    await Promise.all(
      childrenOf(tree, relay).map((c) =>
        live.waitForEvent((e) => e.kind === 'step-end' && e.step === `copy:web>${c}`),
      ),
    ).finally(() => (childrenDone = true));
    await killer;
    assert.ok(killed > 0, `saw ${relay} serve a child`);
    await host.startSshd();
    const r = await live.done;
    assert.equal(r.exitCode, 0, r.stderr + r.stdout.slice(-3000));
    const report = reportOf(r);
    assert.deepEqual(
      new Set(Object.values(outcomes(report))),
      new Set(['ok']),
      JSON.stringify(outcomes(report)),
    );
    const out = report.systems.web.outPath as string;
    for (const h of HOSTS) {
      const cur = await fleet.hosts[h]!.exec(['readlink', '-f', '/run/current-system']);
      assert.equal(cur.stdout.trim(), out, `${h} runs the new system`);
    }
    const porticoAddr = fleet.hosts.portico!.internalAddress!;
    for (const child of childrenOf(tree, relay)) {
      const log = logOf(r, child);
      assert.match(log, new RegExp(`relay ${relay} → ${child}: .*substituting from portico instead`));
      assert.match(log, new RegExp(`copying path '[^']*' from 'ssh://root@${porticoAddr}'`));
    }
  } finally {
    live.child.kill('SIGKILL');
    await host.startSshd();
  }
  await assertNoRelayCredential();
});

test('--relay-fanout takes a whole number ≥ 0: anything else is one line, exit 2', async () => {
  const r = await run([process.execPath, BIN, 'plan', '-c', dir, '--relay-fanout', 'two'], { env });
  assert.equal(r.exitCode, 2);
  assert.equal(
    r.stderr.trim(),
    'nix-hive: --relay-fanout: must be a whole number ≥ 0 (0 = no relay), got "two"',
  );
});

test('Ctrl-C twice while relays are granted: the run stops and still removes every relay credential', async () => {
  await newWebSystem('interrupt', '6M');
  const child = spawn(
    process.execPath,
    [BIN, 'deploy', '-c', dir, '--json', '--no-state', '--parallel', '16', '--relay-fanout', '4'],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c));
  child.stderr!.on('data', () => {});
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    const granted = async () => {
      for (const h of HOSTS) {
        const keys = await readFile(
          path.join(fleet.hosts[h]!.dir, 'root', '.ssh', 'authorized_keys'),
          'utf8',
        );
        if (keys.includes('nix-hive-relay:')) return true;
      }
      return false;
    };
    let seen = false;
    for (let i = 0; i < 1200 && !(seen = await granted()); i++) await sleep(50);
    assert.ok(seen, 'a relay was granted during the run');
    process.kill(-child.pid!, 'SIGINT');
    await sleep(300);
    // The run may have stopped in order already (nothing was running long): then there is no one to signal.
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGINT');
    const code = await done;
    assert.equal(code, 130, out.slice(-2000));
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await assertNoRelayCredential();
});
