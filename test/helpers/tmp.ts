// Temp folders for tests that remove themselves: each is deleted after the test file (or the test) that made
// it, so a test run leaves /tmp as it found it.
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A fresh folder under the temp dir, removed by an `after` hook of the current test (or file). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
