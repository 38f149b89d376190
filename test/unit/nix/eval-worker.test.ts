// The evaluator pool against real Nix (the stub nixpkgs): eval-worker.nix's trace lines are what the pool
// parses, the .drv files are written to the store (realisable), a worker replaced after every system
// (a memory bound of 1 byte; systems made slow enough with hive.evalCost for /proc to be read meanwhile) still evaluates each system once, and a broken module fails its system alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnProcess } from '../../../lib/exec/spawn.ts';
import { evaluateSystems } from '../../../lib/nix/eval-pool.ts';
import type { ResolvedSystem } from '../../../lib/inventory/types.ts';
import { tempDir } from '../../helpers/tmp.ts';

const NIXPKGS = fileURLToPath(new URL('../../fixtures/nixpkgs', import.meta.url));

test('evaluator pool with nix-instantiate: paths of every good system, the broken one alone', async () => {
  const dir = tempDir('nix-hive-worker-');
  const systems: ResolvedSystem[] = [];
  for (const name of ['w-a', 'w-b', 'w-broken', 'w-c']) {
    const file = path.join(dir, `${name}.nix`);
    const body =
      name === 'w-broken'
        ? 'networking.hostName = ;'
        : `networking.hostName = "${name}"; hive.evalCost = 20;`;
    await writeFile(file, `{ ... }: { ${body} }\n`);
    systems.push({ name, modules: [file], paths: [['nixpkgs', NIXPKGS]], system: 'x86_64-linux' });
  }
  const lines: string[] = [];
  const r = await evaluateSystems(systems, {
    spawn: spawnProcess,
    jobs: 1,
    maxMemory: 1,
    workDir: dir,
    env: { NIX_CONFIG: 'substituters =' },
    onLine: (_s, l) => lines.push(l),
  });
  assert.deepEqual(Object.keys(r.failed), ['w-broken']);
  assert.match(r.failed['w-broken']!, /syntax error, unexpected ';'.*w-broken\.nix/);
  assert.deepEqual(Object.keys(r.evaluated).sort(), ['w-a', 'w-b', 'w-c']);
  for (const [name, e] of Object.entries(r.evaluated)) {
    assert.match(e.drvPath, new RegExp(`^/nix/store/[a-z0-9]{32}-nixos-system-${name}-.*\\.drv$`));
    assert.match(e.outPath, new RegExp(`^/nix/store/[a-z0-9]{32}-nixos-system-${name}-`));
  }
  const valid = await spawnProcess('nix-store', [
    '--check-validity',
    ...Object.values(r.evaluated).map((e) => e.drvPath),
  ]);
  assert.equal(valid.exitCode, 0, valid.stderr);
  assert.ok(
    lines.some((l) => /replaced/.test(l)),
    'a worker past its bound was replaced',
  );
  assert.ok(
    !lines.some((l) => l.startsWith('trace: nix-hive-eval')),
    'the pool’s own trace lines are not passed on',
  );
});
