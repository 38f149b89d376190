// The snapshot helper: under CI a missing snapshot fails and is not written; elsewhere it is written once and
// then compared. .ci/run exports CI=1 before `npm test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { matchSnapshot } from '../../helpers/snapshot.ts';
import { tempDir } from '../../helpers/tmp.ts';

// A test file's URL in a temp folder: the snapshots land beside it, under __snapshots__.
const dir = tempDir('nix-hive-snapshot-');
const testUrl = pathToFileURL(path.join(dir, 'some.test.ts')).href;
const name = 'missing';
const file = path.join(dir, '__snapshots__', `${name}.snap`);

function withEnv(env: Record<string, string | undefined>, fn: () => void): void {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const set = (e: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(e)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(env);
  try {
    fn();
  } finally {
    set(saved);
  }
}

test('under CI a missing snapshot fails and nothing is written', () => {
  withEnv({ CI: '1', UPDATE_SNAPSHOTS: undefined }, () =>
    assert.throws(() => matchSnapshot(testUrl, name, 'text\n'), /missing snapshot .*UPDATE_SNAPSHOTS=1/),
  );
  assert.equal(existsSync(file), false);
});

test('off CI a missing snapshot is written, then a different text fails', () => {
  withEnv({ CI: undefined, UPDATE_SNAPSHOTS: undefined }, () => {
    matchSnapshot(testUrl, name, 'text\n');
    assert.equal(readFileSync(file, 'utf8'), 'text\n');
    assert.throws(() => matchSnapshot(testUrl, name, 'other\n'), /differs/);
  });
});

test('.ci/run sets CI before it runs the tests', () => {
  const run = readFileSync(fileURLToPath(new URL('../../../.ci/run', import.meta.url)), 'utf8');
  const exported = run.indexOf('export CI=1');
  assert.ok(exported >= 0 && exported < run.indexOf('\nnpm test'), 'export CI=1 comes before npm test');
});
