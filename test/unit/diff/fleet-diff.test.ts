// fleetDiff's dry-activate takes turns per machine: switch-to-configuration takes its lock without waiting,
// so two pairs read on instances of one machine must not run it at the same time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fleetDiff, type DiffOptions, type Runner } from '../../../lib/diff/fleet-diff.ts';
import { spawnResult } from '../../helpers/nix-spy.ts';

const result = (stdout: string, stderr = '', exitCode = 0) => spawnResult('sh', [], stdout, exitCode, stderr);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A closure listing (paths, sizes, none missing) of one path. */
const closure = (p: string) => `${p}\n--\n100\n--\n`;

// n0 and n1 run on machine m1, n2 on m2; all three run r1 and get three different new systems: three pairs.
const MACHINE: Record<string, string> = { n0: 'm1', n1: 'm1', n2: 'm2' };
const SYSTEMS = ['s0', 's1', 's2'];
const built = Object.fromEntries(SYSTEMS.map((s) => [s, `/nix/store/${s.padEnd(32, 'x')}-new-${s}`]));
const readings = ['n0', 'n1', 'n2'].map((instance, i) => ({
  instance,
  system: SYSTEMS[i]!,
  running: '/nix/store/rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr-running',
  booted: { kernel: '', initrd: '', 'kernel-modules': '', 'kernel-params': '' },
}));

/** Instances whose dry-activate holds its machine's lock for a while, as the real one does. */
function machines() {
  const held = new Set<string>();
  const overlaps: string[] = [];
  const remote =
    (instance: string): Runner =>
    async (argv) => {
      if (argv[1] !== 'dry-activate') return result(closure(argv.at(-1)!));
      const m = MACHINE[instance]!;
      if (held.has(m)) {
        overlaps.push(instance);
        return result('', 'Could not acquire lock\n', 11);
      }
      held.add(m);
      await sleep(30);
      held.delete(m);
      return result('', 'would restart the following units: app.service\n');
    };
  return { remote, overlaps };
}

const local: Runner = async (argv) =>
  result(argv[3] === 'nix-hive-closure' ? closure(argv.at(-1)!) : '\n\n\n\n');

/** The diff of every reading's pair on the stand-in machines `m`. */
const diffOn = (m: ReturnType<typeof machines>, extra: Partial<DiffOptions> = {}) =>
  fleetDiff({
    targets: readings.map((r) => ({ instance: r.instance, system: r.system })),
    built,
    readings,
    remote: m.remote,
    local,
    parallel: 10,
    ...extra,
  });

test('two pairs read on one machine: their dry-activates take turns, each block has its services', async () => {
  const m = machines();
  const diff = await diffOn(m, { machineOf: (i) => MACHINE[i]! });
  assert.equal(diff.blocks.length, 3);
  assert.deepEqual(m.overlaps, [], 'a dry-activate found its machine locked');
  for (const b of diff.blocks) assert.ok(b.services && 'changes' in b.services, JSON.stringify(b.services));
});

test('without machineOf every instance is its own machine: instances of one machine may overlap', async () => {
  // The control for the test above: the stand-in does report a held lock.
  const m = machines();
  await diffOn(m);
  assert.equal(m.overlaps.length, 1, 'n0 and n1 ran at once on m1');
});
