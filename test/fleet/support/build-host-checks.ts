// What the build-host tests (build-host.test.ts, build-host-uri.test.ts) check after a build on the builder,
// used as `check.<name>`: the plan's lines, where the toplevel is (and is not), the uplink's share of the
// closure, and that nothing of the run is left on the builder or portico.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from '../harness/fleet.ts';
import { run } from '../harness/proc.ts';
import { EXAMPLE } from './seed-fleet.ts';

/** What `plan` says for the build-host hive, whether the build host is an instance or a URI. */
export function plan(stdout: string): void {
  for (const line of [
    'build portico@builder',
    'build www@builder',
    'sign www@builder (whole closure)',
    'copy www builder → portico',
    'copy portico builder → portico',
    'copy www → www-1 (substitutes from portico)',
  ])
    assert.ok(stdout.includes(line), `${line}\n${stdout}`);
}

/** The toplevel `out` is in the builder's store with nix-hive's GC root, and not in the deployer's (`env`). */
export async function builtOnBuilder(fleet: Fleet, env: Record<string, string>, out: string): Promise<void> {
  assert.notEqual((await run(['nix-store', '--check-validity', out], { env })).exitCode, 0, 'not here');
  const b = fleet.hosts.builder!;
  assert.equal((await b.exec(['nix-store', '--check-validity', out])).exitCode, 0, 'on the builder');
  const roots = (await b.exec(['nix-store', '--gc', '--print-roots'])).stdout;
  assert.match(roots, new RegExp(`/nix/var/nix/gcroots/nix-hive/www -> ${out}`), roots);
}

/**
 * The closure of `systems` (its bytes, from the builder's store) against what crossed the deployer's uplink
 * between `up0` and `up1` (both directions): printed under `label`, and at most 1%.
 */
export async function uplinkShare(
  fleet: Fleet,
  label: string,
  systems: string[],
  up0: { tx: number; rx: number },
  up1: { tx: number; rx: number },
): Promise<void> {
  const b = fleet.hosts.builder!;
  const paths = (await b.exec(['nix-store', '-qR', ...systems])).stdout.trim().split('\n');
  const size = (await b.exec(['nix-store', '--query', '--size', ...paths])).stdout
    .trim()
    .split('\n')
    .reduce((a, l) => a + Number(l), 0);
  const crossed = up1.tx - up0.tx + (up1.rx - up0.rx);
  const ratio = crossed / size;
  process.stderr.write(
    `${label}: closure ${size} bytes, uplink ${crossed} bytes (${(ratio * 100).toFixed(2)}%)\n`,
  );
  assert.ok(size > 40 * 1024 * 1024, `closure ${size}`);
  assert.ok(
    ratio <= 0.01,
    `uplink carried ${crossed} of ${size} closure bytes (${(ratio * 100).toFixed(2)}%)`,
  );
}

/** No push key of the run on the builder, no grant on portico, and the hive key on none of the builder's disks. */
export async function nothingLeftOfTheRun(fleet: Fleet): Promise<void> {
  const b = await fleet.hosts.builder!.exec(['sh', '-c', 'ls -A /run/nix-hive-build 2>/dev/null || true']);
  assert.equal(b.stdout.trim(), '');
  const keys = await fleet.hosts.portico!.exec(['cat', '/root/.ssh/authorized_keys']);
  assert.doesNotMatch(keys.stdout, /nix-hive-build:/);
  // The hive key never landed on the builder's own disk (its /run, /root and /nix are its own).
  const secret = (await readFile(path.join(EXAMPLE, 'keys', 'hive.sec'), 'utf8')).trim().split(':')[1]!;
  const found = await fleet.hosts.builder!.exec([
    'grep',
    '-rlF',
    '--',
    secret,
    '/run',
    '/root',
    '/nix/store',
  ]);
  assert.equal(found.stdout.trim(), '', found.stdout);
}
