#!/usr/bin/env node
// Runs one test suite (unit | fleet) with node's test runner; Node 20 has no glob in `--test`.
import { globby } from 'globby';
import { spawnSync } from 'node:child_process';

const suite = process.argv[2] ?? 'unit';
const files = await globby([`test/${suite}/**/*.test.ts`]);
if (files.length === 0) {
  console.error(`no test files under test/${suite}/`);
  process.exit(1);
}
const extra = suite === 'fleet' ? ['--test-concurrency=1'] : [];
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...extra, ...files.sort()],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
