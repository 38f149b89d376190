#!/usr/bin/env node
// Runs one test suite (unit | fleet) with node's test runner; Node 20 has no glob in `--test`. Builds the
// compiled CLI first (the bin would rebuild a stale one anyway; once here, not in every test's first start).
import { globby } from 'globby';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { buildDist, isFresh } from '../scripts/dist.mjs';

if (!isFresh()) await buildDist();

const suite = process.argv[2] ?? 'unit';
const files = await globby([`test/${suite}/**/*.test.ts`]);
if (files.length === 0) {
  console.error(`no test files under test/${suite}/`);
  process.exit(1);
}
// Unit test files mostly wait on child processes: two at a time even on 2 CPUs (node's default there is one).
const extra =
  suite === 'fleet'
    ? ['--test-concurrency=1']
    : [`--test-concurrency=${Math.max(2, availableParallelism())}`];
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...extra, ...files.sort()],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
