// `nix-hive diff` on the real fleet (issue 20): two generations of stub systems that differ in one package's
// version, one added and one removed path, a changed service and (on one system only) the kernel. The diff
// names exactly those per block, its sizes are `nix path-info -S`'s, and only the kernel's block needs a
// reboot. 20 instances on 2 systems over 2 running systems give at most 4 blocks, and dry-activate ran once
// per block (the stub's /run/hive-activation.log). --json validates against schema/diff.schema.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import AjvModule from 'ajv';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { BIN, cli, REPO } from './support/seed-fleet.ts';
import { run } from './harness/proc.ts';
import { writeStubHive } from './support/faults.ts';
import { generation } from './support/diff-hive.ts';

let fleet: Fleet;
let env: Record<string, string>;

useFleet({ a: 'public', b: 'public' }, (u) => ({ fleet, env } = u));

const gen1 = {
  k: generation({ seed: 'diff-k', tool: '1.0', extra: false, app: 'v1' }),
  p: generation({ seed: 'diff-p', tool: '1.0', extra: false, app: 'v1' }),
};
const gen2 = {
  k: generation({ seed: 'diff-k', tool: '2.0', extra: true, app: 'v2', kernel: '6.7.0' }),
  p: generation({ seed: 'diff-p', tool: '2.0', extra: true, app: 'v2' }),
};

async function pathInfoS(where: 'here' | 'a' | 'b', p: string): Promise<number> {
  const argv = ['nix', '--extra-experimental-features', 'nix-command', 'path-info', '-S', p];
  const r =
    where === 'here'
      ? await (await import('../../lib/exec/spawn.ts')).spawnProcess(argv[0]!, argv.slice(1), { env })
      : await fleet.hosts[where]!.exec(argv);
  assert.equal(r.exitCode, 0, r.stderr);
  return Number(r.stdout.trim().split(/\s+/).at(-1));
}

/** `nix-hive diff …`: its output is one (pretty) JSON document with --json, not event lines. */
const diffCli = (args: string[]) =>
  run([process.execPath, BIN, 'diff', ...args], { env, timeoutMs: 240_000 });

const validate = async () => {
  const schema = JSON.parse(await readFile(path.join(REPO, 'schema/diff.schema.json'), 'utf8'));
  const check = new AjvModule.default({ allErrors: true, strict: true }).compile(schema);
  return (doc: unknown) => {
    assert.ok(check(doc), JSON.stringify(check.errors, null, 2));
  };
};

/**
 * Copies the hive's systems to the hosts without activating them (`targets`, or all), empties the stub's
 * activation logs, then returns `diff --json`'s document, checked against the schema.
 */
async function copyThenDiff(dir: string, targets: string[] = []): Promise<Record<string, any>> {
  const copied = await cli(['deploy', '-c', dir, '--json', '--no', 'activate', ...targets], env);
  assert.equal(copied.exitCode, 0, copied.stderr);
  await Promise.all(
    ['a', 'b'].map((h) => fleet.hosts[h]!.exec(['truncate', '-s0', '/run/hive-activation.log'])),
  );
  const r = await diffCli(['-c', dir, '--json']);
  assert.equal(r.exitCode, 0, r.stderr);
  const diff = JSON.parse(r.stdout);
  (await validate())(diff);
  return diff;
}

test('two generations: the diff names exactly the changes, sizes are path-info -S, reboot only for the kernel', async () => {
  const hive = (mods: Record<string, string>, dir: string) =>
    writeStubHive(fleet, path.join(fleet.dir, dir), {
      modules: mods,
      instances: { a: { system: 'k', host: 'a' }, b: { system: 'p', host: 'b' } },
    });
  const first = await cli(['deploy', '-c', await hive(gen1, 'gen1'), '--json'], env);
  assert.equal(first.exitCode, 0, first.stderr);
  // As after a boot: the running system is the booted one.
  for (const h of ['a', 'b'])
    await fleet.hosts[h]!.exec([
      'sh',
      '-c',
      'ln -sfn "$(readlink -e /run/current-system)" /run/booted-system',
    ]);
  const dir = await hive(gen2, 'gen2');
  // The new systems reach the hosts' stores (no activation): dry-activate can then run there.
  const diff = await copyThenDiff(dir);
  assert.equal(diff.blocks.length, 2);
  const block = (i: string) => diff.blocks.find((b: { instances: string[] }) => b.instances.includes(i));
  const k = block('a');
  const p = block('b');
  assert.deepEqual(k.instances, ['a']);
  assert.deepEqual(k.packages.added, ['extra-3.1']);
  assert.deepEqual(k.packages.removed, ['legacy-0.9']);
  assert.deepEqual(
    k.packages.changed.map(
      (c: { name: string; from: string[]; to: string[] }) => `${c.name} ${c.from} ${c.to}`,
    ),
    ['stub-initrd 6.6.1 6.7.0', 'stub-kernel 6.6.1 6.7.0', 'stub-kernel-modules 6.6.1 6.7.0', 'tool 1.0 2.0'],
  );
  assert.deepEqual(p.packages.added, ['extra-3.1']);
  assert.deepEqual(p.packages.removed, ['legacy-0.9']);
  assert.deepEqual(
    p.packages.changed.map((c: { name: string }) => c.name),
    ['tool'],
  );
  // Same name, other content: the toplevel and the changed unit file are rebuilt, not changed.
  assert.ok(k.packages.rebuilt.includes('unit-app.service'), k.packages.rebuilt.join(' '));
  for (const [b, host] of [
    [k, 'a'],
    [p, 'b'],
  ] as const) {
    assert.deepEqual(b.services.changes.restart, ['app.service']);
    assert.deepEqual([b.services.changes.stop, b.services.changes.start], [[], []]);
    assert.equal(b.size.before, await pathInfoS(host, b.from));
    assert.equal(b.size.after, await pathInfoS('here', b.to));
    assert.equal(b.size.delta, b.size.after - b.size.before);
    assert.equal(b.toCopy.bytes, 0, 'copied before the diff');
  }
  assert.deepEqual(k.needsReboot, [{ instance: 'a', parts: ['kernel', 'initrd', 'kernel-modules'] }]);
  assert.deepEqual(p.needsReboot, []);
  assert.match(
    diff.summary,
    /^2 systems change on 2 hosts: \+1 package, \u22121, 4 upgraded, 1 service restarted, 1 host needs a reboot$/,
  );
  // One dry-activate per block, on the block's instance.
  for (const h of ['a', 'b']) {
    const log = (await fleet.hosts[h]!.exec(['cat', '/run/hive-activation.log'])).stdout.trim().split('\n');
    assert.deepEqual(
      log.map((l) => l.split(' ')[1]),
      ['dry-activate'],
    );
  }

  // The text form: the same block, the summary line last.
  const text = await diffCli(['-c', dir, '--no-activation-diff']);
  assert.equal(text.exitCode, 0, text.stderr);
  assert.match(text.stdout, /^ {4}tool: 1\.0 \u2192 2\.0$/m);
  assert.match(text.stdout, /^ {2}needs reboot: a \(kernel, initrd, kernel-modules changed\)$/m);
  assert.match(text.stdout, /^k: 1 host \(a\)$/m);
  assert.doesNotMatch(text.stdout, /services/);
  assert.equal(text.stdout.trim().split('\n').at(-1), diff.summary.replace('1 service restarted, ', ''));
});

test('20 instances on 2 systems over 2 running systems: at most 4 blocks, dry-activate once per block', async () => {
  // The running systems: r1 on host a, r2 on host b.
  const running = await writeStubHive(fleet, path.join(fleet.dir, 'running'), {
    modules: {
      r1: generation({ seed: 'run-1', tool: '1.0', extra: false, app: 'v1' }),
      r2: generation({ seed: 'run-2', tool: '1.5', extra: false, app: 'v0' }),
    },
    instances: { a: { system: 'r1', host: 'a' }, b: { system: 'r2', host: 'b' } },
  });
  const first = await cli(['deploy', '-c', running, '--json'], env);
  assert.equal(first.exitCode, 0, first.stderr);
  // 10 instance names on each host, half of each on system s1, half on s2.
  const instances: Record<string, { system: string; host: string }> = {};
  for (let i = 0; i < 20; i++) instances[`n${i}`] = { system: i % 2 ? 's2' : 's1', host: i < 10 ? 'a' : 'b' };
  const dir = await writeStubHive(fleet, path.join(fleet.dir, 'twenty'), {
    modules: {
      s1: generation({ seed: 'new-1', tool: '2.0', extra: true, app: 'v2' }),
      s2: generation({ seed: 'new-2', tool: '3.0', extra: true, app: 'v3', kernel: '6.8.0' }),
    },
    instances,
  });
  const diff = await copyThenDiff(dir, ['n0', 'n1', 'n10', 'n11']);
  assert.equal(diff.blocks.length, 4);
  assert.deepEqual(
    diff.blocks.map((b: { instances: string[] }) => b.instances.length),
    [5, 5, 5, 5],
  );
  for (const b of diff.blocks) assert.ok(b.services.changes, JSON.stringify(b.services));
  let calls = 0;
  for (const h of ['a', 'b']) {
    const log = (await fleet.hosts[h]!.exec(['cat', '/run/hive-activation.log'])).stdout.trim();
    const lines = log ? log.split('\n') : [];
    assert.ok(
      lines.every((l) => l.split(' ')[1] === 'dry-activate'),
      log,
    );
    calls += lines.length;
  }
  assert.equal(calls, diff.blocks.length);
});
