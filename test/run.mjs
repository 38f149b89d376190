#!/usr/bin/env node
// Runs one test suite (unit | fleet; words after it: only the files whose path has one of them) with node's
// test runner; Node 20 has no glob in `--test`. Builds the compiled CLI first (the bin would rebuild a stale
// one anyway; once here, not in every test's first start).
// The unit suite runs compiled (test/bundle.mjs: plain node, not tsx; a few worker processes taking its
// files from one queue, each file's tests a suite named by the file; the fleet suite, whose time goes to its
// hosts, runs the sources through tsx, a process per file) and with a private TMPDIR that must be
// empty afterwards (but for tsx's compile cache): a test (or the code under test) that leaves a temp file or
// folder behind fails the run, naming it.
import { globby } from 'globby';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { buildDist, isFresh } from '../bin/dist.mjs';
import { bundleTests } from './bundle.mjs';

if (!isFresh()) await buildDist();

// `node test/run.mjs fleet relay ssh.test`: only the suite's files whose path contains one of the words.
const [suite = 'unit', ...only] = process.argv.slice(2);
const files = (await globby([`test/${suite}/**/*.test.ts`]))
  .filter((f) => only.length === 0 || only.some((w) => f.includes(w)))
  .sort();
if (files.length === 0) {
  console.error(`no test files under test/${suite}/${only.length ? ` matching ${only.join(' ')}` : ''}`);
  process.exit(1);
}
// Fleet files run side by side (each run has its own netns, /24s, folder and hive copy: harness/README.md),
// NIX_HIVE_FLEET_JOBS at once (default 3: most of a file's time is waiting on hosts, ssh and sshd). Node's
// runner starts them in path order whatever order they are given in.
const extra =
  suite === 'fleet'
    ? [
        `--test-concurrency=${process.env.NIX_HIVE_FLEET_JOBS || 3}`,
        // Beside spec (one destination each): how long each file took, slowest first, at the end.
        '--test-reporter=./test/file-times.mjs',
        '--test-reporter-destination=stdout',
        '--test-reporter-destination=stdout',
      ]
    : [];
// esbuild has printed what it could not compile (file, line); nothing is left behind.
// A node start per file cost ~0.4 s of CPU (84 files); unit test files mostly wait on child processes, so
// two worker processes per CPU, all running at once, keep both busy while one waits.
const workers = 2 * Math.max(2, availableParallelism());
if (suite === 'unit') extra.push(`--test-concurrency=${workers}`);
const bundled =
  suite === 'unit' ? await bundleTests(files, { workers }).catch(() => process.exit(1)) : undefined;
// Short, without spaces: ssh control sockets live under it.
const tmp = suite === 'unit' ? mkdtempSync('/tmp/nht-') : undefined;
// Traversable like /tmp itself: Nix's build users make their build folders in it.
if (tmp) chmodSync(tmp, 0o755);
const r = spawnSync(
  process.execPath,
  [
    ...(bundled ? ['--enable-source-maps'] : ['--import', 'tsx']),
    '--test',
    '--test-reporter=spec',
    ...extra,
    ...(bundled?.files ?? files),
  ],
  { stdio: 'inherit', env: tmp ? { ...process.env, TMPDIR: tmp } : process.env },
);
let status = r.status ?? 1;
// Were every worker to die (or none to start), files would stay untaken: they did not run, so the run fails.
const unran = bundled?.unran() ?? [];
if (unran.length > 0) {
  console.error(`${unran.length} unit test file(s) did not run: ${unran.join(' ')}`);
  status = status || 1;
}
if (bundled) rmSync(bundled.outdir, { recursive: true, force: true });
if (tmp) {
  // tsx keeps its compile cache in $TMPDIR/tsx-<uid> (reused across runs, as in /tmp).
  const left = readdirSync(tmp).filter((n) => !/^tsx-\d+$/.test(n));
  if (left.length > 0) {
    console.error(
      `the ${suite} tests left ${left.length} temp file(s): ${left.map((n) => path.join(tmp, n)).join(' ')}`,
    );
    status = status || 1;
  }
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(status);
