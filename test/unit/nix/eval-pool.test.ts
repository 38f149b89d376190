// The evaluator pool: at most `jobs` evaluators at once; a worker past its memory bound after a system is
// replaced and the rest of its share goes to a fresh one; a system that fails to evaluate fails alone, named,
// with Nix's message, and the others are still evaluated. Nix is a spy (lib/exec/spawn.ts is injectable).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { SpawnOptions, SpawnResult } from '../../../lib/exec/spawn.ts';
import { chunkSize, evaluateSystems } from '../../../lib/nix/eval-pool.ts';
import type { ResolvedSystem } from '../../../lib/inventory/types.ts';
import { tempDir } from '../../helpers/tmp.ts';

const systems: ResolvedSystem[] = Array.from({ length: 9 }, (_v, i) => ({
  name: `sys-${i}`,
  modules: [`/hive/sys-${i}.nix`],
  paths: [['nixpkgs', '/nixpkgs']],
  system: 'x86_64-linux',
}));

/** A worker that evaluates its spec in order, a tick per system; `broken` names fail as Nix fails. */
function workerSpy(broken: Set<string> = new Set()) {
  const spy = { running: 0, most: 0, workers: 0, pids: [] as number[] };
  const spawn = async (
    command: string,
    args: readonly string[],
    o: SpawnOptions = {},
  ): Promise<SpawnResult> => {
    const pid = 1000 + spy.workers++;
    spy.pids.push(pid);
    spy.running++;
    spy.most = Math.max(spy.most, spy.running);
    o.onSpawn?.(pid);
    const spec = JSON.parse(await readFile(args[args.indexOf('specFile') + 1]!, 'utf8')) as {
      marker: string;
      order: string[];
      systems: Record<string, { name: string }>;
    };
    let exitCode = 0;
    let stderr = '';
    for (const attr of spec.order) {
      await new Promise((r) => setTimeout(r, 5));
      if (o.signal?.aborted) {
        exitCode = 143;
        break;
      }
      const name = spec.systems[attr]!.name;
      if (broken.has(name)) {
        stderr = `error: attribute 'nope' missing in ${name}\n(use '--show-trace' to show detailed location information)\n`;
        exitCode = 1;
        break;
      }
      o.onLine?.('stderr', `trace: ${spec.marker} ${attr} /nix/store/${name}.drv /nix/store/${name}`);
    }
    spy.running--;
    return {
      command,
      args: [...args],
      exitCode,
      signal: undefined,
      timedOut: false,
      stdout: '',
      stderr,
      durationMs: 1,
    };
  };
  return { spy, spawn };
}

test('evaluator pool: never more than --eval-jobs at once; every system evaluated once', async () => {
  const { spy, spawn } = workerSpy();
  const r = await evaluateSystems(systems, {
    spawn,
    jobs: 2,
    maxMemory: 2 ** 40,
    workDir: tempDir('nix-hive-pool-'),
    memoryOf: async () => 1,
  });
  assert.deepEqual(r.failed, {});
  assert.deepEqual(Object.keys(r.evaluated).sort(), systems.map((s) => s.name).sort());
  assert.equal(r.evaluated['sys-4']!.drvPath, '/nix/store/sys-4.drv');
  assert.equal(spy.most, 2);
});

test('evaluator pool: a worker past its memory bound after a system is replaced; nothing is lost', async () => {
  const { spy, spawn } = workerSpy();
  const lines: string[] = [];
  const r = await evaluateSystems(systems, {
    spawn,
    jobs: 1,
    maxMemory: 100 * 2 ** 20,
    workDir: tempDir('nix-hive-pool-'),
    memoryOf: async () => 200 * 2 ** 20,
    onLine: (_s, l) => lines.push(l),
  });
  assert.deepEqual(r.failed, {});
  assert.equal(Object.keys(r.evaluated).length, systems.length);
  // Each worker over its bound after its first system: about one worker per system, not one for all.
  assert.ok(spy.workers > systems.length / 2, `${spy.workers} workers`);
  assert.ok(lines.some((l) => /evaluator at 200 MiB \(over 100\): replaced/.test(l)));
});

test('evaluator pool: a system that fails to evaluate fails alone, named, with Nix’s message', async () => {
  const { spawn } = workerSpy(new Set(['sys-1', 'sys-6']));
  const r = await evaluateSystems(systems, {
    spawn,
    jobs: 2,
    maxMemory: 2 ** 40,
    workDir: tempDir('nix-hive-pool-'),
    memoryOf: async () => 1,
  });
  assert.deepEqual(Object.keys(r.failed).sort(), ['sys-1', 'sys-6']);
  assert.equal(r.failed['sys-1'], "attribute 'nope' missing in sys-1");
  assert.equal(Object.keys(r.evaluated).length, systems.length - 2);
});

test('chunkSize: a share that shrinks with the queue, at least one', () => {
  assert.equal(chunkSize(24, 2), 6);
  assert.equal(chunkSize(3, 2), 1);
  assert.equal(chunkSize(1, 8), 1);
});
