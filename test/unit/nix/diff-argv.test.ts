// The diff's read commands (lib/nix/diff-argv.ts) run under sh: boot parts from a folder of links, and the
// closure script's plumbing with a `nix-store` stand-in (paths, sizes in the same order, the paths of stdin
// that the store lacks), parsed back; a listing whose paths and sizes disagree is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  bootPartsArgv,
  closureArgv,
  parseBootParts,
  parseClosure,
  parseInstanceReading,
} from '../../../lib/nix/diff-argv.ts';
import { tempDir } from '../../helpers/tmp.ts';

const work = tempDir('nix-hive-diff-argv-');
const run = (argv: string[], o: { input?: string; env?: NodeJS.ProcessEnv } = {}) =>
  execFileSync(argv[0]!, argv.slice(1), { input: o.input ?? '', env: o.env ?? process.env }).toString();

test('boot parts: the store paths behind kernel, initrd, modules, and the kernel parameters on one line', () => {
  const sys = path.join(work, 'system');
  mkdirSync(sys);
  for (const f of ['kernel', 'initrd']) {
    writeFileSync(path.join(work, `${f}-target`), f);
    symlinkSync(path.join(work, `${f}-target`), path.join(sys, f));
  }
  writeFileSync(path.join(sys, 'kernel-params'), 'quiet\nmitigations=off\n');
  assert.deepEqual(parseBootParts(run(bootPartsArgv(sys))), {
    kernel: path.join(work, 'kernel-target'),
    initrd: path.join(work, 'initrd-target'),
    'kernel-modules': '',
    'kernel-params': 'quiet mitigations=off',
  });
  assert.deepEqual(parseInstanceReading('\n\n\n\n\n'), {
    running: null,
    booted: { kernel: '', initrd: '', 'kernel-modules': '', 'kernel-params': '' },
  });
});

test('the closure script: paths and sizes paired, the missing paths of stdin listed', () => {
  const bin = path.join(work, 'bin');
  mkdirSync(bin);
  // The stand-in: -qR lists two paths; --size prints 100 and 200 for them (in argument order); the validity
  // check prints the stdin paths that contain "new".
  writeFileSync(
    path.join(bin, 'nix-store'),
    [
      '#!/bin/sh',
      'case "$1 $2" in',
      '  "--query --requisites") printf "/nix/store/a-x-1\\n/nix/store/b-y-2\\n" ;;',
      '  "--query --size") shift 2; for p in "$@"; do case "$p" in *a-x*) echo 100;; *) echo 200;; esac; done ;;',
      '  "--check-validity --print-invalid") shift 2; for p in "$@"; do case "$p" in *new*) echo "$p";; esac; done ;;',
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(path.join(bin, 'nix-store'), 0o755);
  const out = run(closureArgv('/nix/store/b-y-2'), {
    input: '/nix/store/a-x-1\n/nix/store/c-new-3\n',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  assert.deepEqual(parseClosure(out), {
    closure: [
      { path: '/nix/store/a-x-1', narSize: 100 },
      { path: '/nix/store/b-y-2', narSize: 200 },
    ],
    missing: ['/nix/store/c-new-3'],
  });
  assert.throws(() => parseClosure('/nix/store/a\n--\n\n--\n'), /1 paths, 0 sizes/);
});
