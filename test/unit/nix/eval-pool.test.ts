// The evaluator pool: at most `jobs` evaluators at once; a worker past its memory bound after a system is
// replaced and the rest of its share goes to a fresh one; a system that fails to evaluate fails alone, named,
// with Nix's message, and the others are still evaluated. Nix is a spy (lib/exec/spawn.ts is injectable).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { SpawnOptions, SpawnResult } from '../../../lib/exec/spawn.ts';
import {
  chunkSize,
  EVAL_GC_INITIAL_HEAP,
  evaluateSystems,
  evaluatorEnv,
  replaceReason,
} from '../../../lib/nix/eval-pool.ts';
import type { ResolvedSystem } from '../../../lib/inventory/types.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { spawnResult } from '../../helpers/nix-spy.ts';

const systems: ResolvedSystem[] = Array.from({ length: 9 }, (_v, i) => ({
  name: `sys-${i}`,
  modules: [`/hive/sys-${i}.nix`],
  paths: [['nixpkgs', '/nixpkgs']],
  system: 'x86_64-linux',
}));

/** A worker that evaluates its spec in order, a tick per system; `broken` names fail as Nix fails. */
function workerSpy(broken: Set<string> = new Set()) {
  /** Per worker (pid): how many systems it has printed. */
  const spy = {
    running: 0,
    most: 0,
    workers: 0,
    pids: [] as number[],
    printed: new Map<number, number>(),
    envs: [] as Array<Record<string, string | undefined> | undefined>,
  };
  const spawn = async (
    command: string,
    args: readonly string[],
    o: SpawnOptions = {},
  ): Promise<SpawnResult> => {
    const pid = 1000 + spy.workers++;
    spy.pids.push(pid);
    spy.envs.push(o.env);
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
      spy.printed.set(pid, (spy.printed.get(pid) ?? 0) + 1);
      o.onLine?.('stderr', `trace: ${spec.marker} ${attr} /nix/store/${name}.drv /nix/store/${name}`);
    }
    spy.running--;
    return spawnResult(command, args, '', exitCode, stderr);
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

test('evaluator pool: a worker grown past maxGrowth × its memory after its first system is replaced', async () => {
  const { spy, spawn } = workerSpy();
  // Each worker: 400 MiB after its first system, 10 % more after each further one; the absolute bound far off.
  const memoryOf = async (pid: number) => (400 + 40 * ((spy.printed.get(pid) ?? 1) - 1)) * 2 ** 20;
  const lines: string[] = [];
  const run = (maxGrowth: number) =>
    evaluateSystems(systems, {
      spawn,
      jobs: 1,
      maxMemory: 2 ** 40,
      maxGrowth,
      workDir: tempDir('nix-hive-pool-'),
      memoryOf,
      onLine: (_s, l) => lines.push(l),
    });
  const r = await run(1.2);
  assert.deepEqual(r.failed, {});
  assert.equal(Object.keys(r.evaluated).length, systems.length, 'nothing lost');
  // 400, 440, 480 MiB are within 1.2 × 400; 520 is not: no worker prints a fourth system.
  assert.equal(Math.max(...spy.printed.values()), 4, `${[...spy.printed.values()]}`);
  assert.ok(
    lines.includes(
      'nix-hive: evaluator at 520 MiB, 1.30 × its 400 MiB after its first system (over 1.2): replaced',
    ),
    lines.join('\n'),
  );
  // Without the growth bound one worker takes the whole queue in shares, never replaced.
  spy.printed.clear();
  lines.length = 0;
  await run(Infinity);
  assert.ok(!lines.some((l) => l.includes('replaced')), lines.join('\n'));
});

test('replaceReason: the absolute bound, then growth over the first system; neither: kept', () => {
  const M = 2 ** 20;
  const o = { maxMemory: 1000 * M, maxGrowth: 1.25 };
  assert.equal(replaceReason(1001 * M, 900 * M, o), 'evaluator at 1001 MiB (over 1000)');
  assert.equal(
    replaceReason(501 * M, 400 * M, o),
    'evaluator at 501 MiB, 1.25 × its 400 MiB after its first system (over 1.25)',
  );
  assert.equal(replaceReason(500 * M, 400 * M, o), undefined, 'exactly 1.25 ×: kept');
  assert.equal(replaceReason(999 * M, undefined, o), undefined, 'first not known yet');
});

test('evaluators start with a small GC heap unless the user set one; the rest of the environment is kept', async () => {
  const { spy, spawn } = workerSpy();
  const inherited = process.env.GC_INITIAL_HEAP_SIZE;
  delete process.env.GC_INITIAL_HEAP_SIZE; // this run's own, if any, would rightly win
  after(() => void (inherited !== undefined && (process.env.GC_INITIAL_HEAP_SIZE = inherited)));
  await evaluateSystems(systems.slice(0, 2), {
    spawn,
    jobs: 2,
    maxMemory: 2 ** 40,
    workDir: tempDir('nix-hive-pool-'),
    memoryOf: async () => 1,
    env: { NIX_PATH: undefined, NIX_CONFIG: 'x = y' },
  });
  assert.ok(spy.envs.length > 0);
  for (const env of spy.envs)
    assert.deepEqual(env, { NIX_PATH: undefined, NIX_CONFIG: 'x = y', GC_INITIAL_HEAP_SIZE: '32M' });
  assert.deepEqual(evaluatorEnv({ GC_INITIAL_HEAP_SIZE: '1G' }, {}), { GC_INITIAL_HEAP_SIZE: '1G' });
  assert.deepEqual(evaluatorEnv({ A: 'b' }, { GC_INITIAL_HEAP_SIZE: '1G' }), { A: 'b' }, 'inherited as set');
  assert.equal(evaluatorEnv(undefined, {}).GC_INITIAL_HEAP_SIZE, EVAL_GC_INITIAL_HEAP);
});
