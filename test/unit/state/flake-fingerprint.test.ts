// hive.state fingerprints of flake systems cover flake.lock (and flake.nix): a new lock is a new input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemFingerprint } from '../../../lib/state/fingerprint.ts';

test('a flake system’s fingerprint changes with flake.lock', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nix-hive-flake-fp-'));
  try {
    await writeFile(path.join(dir, 'flake.nix'), '{ outputs = _: { }; }\n');
    await writeFile(path.join(dir, 'flake.lock'), '{"nodes":{"nixpkgs":{"locked":{"rev":"a"}}}}\n');
    const system = {
      name: 'www',
      modules: [],
      paths: [],
      system: 'x86_64-linux',
      flake: { ref: dir, attr: 'www' },
    };
    const before = await systemFingerprint(system);
    assert.equal(await systemFingerprint(system), before);
    await writeFile(path.join(dir, 'flake.lock'), '{"nodes":{"nixpkgs":{"locked":{"rev":"b"}}}}\n');
    assert.notEqual(await systemFingerprint(system), before);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
