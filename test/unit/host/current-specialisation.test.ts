// A host running a specialisation of its profile's system: the current-system script names it (run here for
// real on a folder shaped like a toplevel), and status counts that host in sync, saying what it runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compareStatus } from '../../../lib/fleet/status.ts';
import { currentSystemArgv, parseCurrentSystem } from '../../../lib/host/host.ts';

test('the current system that is the profile`s specialisation/<name> is named', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nh-spec-'));
  try {
    const toplevel = path.join(dir, 'nixos-system');
    const blue = path.join(dir, 'nixos-system-blue');
    const red = path.join(dir, 'nixos-system-red');
    mkdirSync(path.join(toplevel, 'specialisation'), { recursive: true });
    mkdirSync(blue);
    mkdirSync(red);
    symlinkSync(red, path.join(toplevel, 'specialisation', 'red'));
    symlinkSync(blue, path.join(toplevel, 'specialisation', 'blue'));
    symlinkSync(toplevel, path.join(dir, 'profile'));
    symlinkSync(blue, path.join(dir, 'current'));
    const read = () => {
      const argv = currentSystemArgv([path.join(dir, 'current'), path.join(dir, 'profile')]);
      return parseCurrentSystem(execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' }));
    };
    assert.deepEqual(read(), { current: blue, profile: toplevel, specialisation: 'blue' });
    rmSync(path.join(dir, 'current'));
    symlinkSync(toplevel, path.join(dir, 'current'));
    assert.deepEqual(read(), { current: toplevel, profile: toplevel });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('status: a specialisation of the expected system is in sync; of another system it drifted', () => {
  const A = '/nix/store/aaaa-nixos-system-www';
  const B = '/nix/store/bbbb-nixos-system-www';
  const blue = '/nix/store/cccc-nixos-system-www';
  assert.deepEqual(compareStatus(A, blue, A, 'blue'), {
    status: 'in-sync',
    detail: `running specialisation blue (${blue})`,
  });
  assert.equal(compareStatus(A, blue, B, 'blue').status, 'drifted');
  assert.equal(compareStatus(A, blue, A).status, 'drifted');
});
