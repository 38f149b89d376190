// A tiny snapshot helper for node:test on Node 20 (no built-in snapshots): compares text with a file
// under __snapshots__ next to the test; UPDATE_SNAPSHOTS=1 writes it instead.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function matchSnapshot(testUrl: string, name: string, actual: string): void {
  const dir = path.join(path.dirname(fileURLToPath(testUrl)), '__snapshots__');
  const file = path.join(dir, `${name}.snap`);
  if (process.env.UPDATE_SNAPSHOTS === '1' || !existsSync(file)) {
    if (process.env.CI && !existsSync(file))
      assert.fail(`missing snapshot ${file} (run with UPDATE_SNAPSHOTS=1)`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `snapshot ${name} differs (UPDATE_SNAPSHOTS=1 to accept)`);
}
