// The package diff read from store path names (lib/diff/packages.ts): parseDrvName's split, several versions
// of one name kept apart, rebuilt counted apart from changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffPackages, parseStorePathName } from '../../../lib/diff/packages.ts';

const H = 'a'.repeat(32);
const sp = (name: string, hash = H) => `/nix/store/${hash}-${name}`;

test('names split at the first dash not followed by a letter, as Nix parseDrvName does', () => {
  assert.deepEqual(parseStorePathName(sp('hello-2.12.1')), { name: 'hello', version: '2.12.1' });
  assert.deepEqual(parseStorePathName(sp('nixos-system-www-24.11.stub')), {
    name: 'nixos-system-www',
    version: '24.11.stub',
  });
  assert.deepEqual(parseStorePathName(sp('linux-6.6.1-modules')), {
    name: 'linux',
    version: '6.6.1-modules',
  });
  assert.deepEqual(parseStorePathName(sp('unit-app.service')), { name: 'unit-app.service', version: '' });
  assert.deepEqual(parseStorePathName(sp('python3.11-requests-2.31.0')), {
    name: 'python3.11-requests',
    version: '2.31.0',
  });
  // A trailing dash is part of the name; a name without a store hash prefix is read whole.
  assert.deepEqual(parseStorePathName('etc-'), { name: 'etc-', version: '' });
});

test('added, removed, changed with every version, rebuilt apart', () => {
  const B = 'b'.repeat(32);
  const before = [sp('openssl-3.0.13'), sp('openssl-1.1.1w'), sp('legacy-0.9'), sp('etc'), sp('bash-5.2')];
  const after = [sp('openssl-3.0.14'), sp('openssl-1.1.1w'), sp('extra-3.1'), sp('etc', B), sp('bash-5.2')];
  assert.deepEqual(diffPackages(before, after), {
    added: ['extra-3.1'],
    removed: ['legacy-0.9'],
    changed: [{ name: 'openssl', from: ['1.1.1w', '3.0.13'], to: ['1.1.1w', '3.0.14'] }],
    rebuilt: ['etc'],
  });
});

test('a second version of a name is a change of that name, not an addition', () => {
  const d = diffPackages([sp('python3-3.11.9')], [sp('python3-3.11.9'), sp('python3-3.12.4')]);
  assert.deepEqual(d.changed, [{ name: 'python3', from: ['3.11.9'], to: ['3.11.9', '3.12.4'] }]);
  assert.deepEqual([d.added, d.removed, d.rebuilt], [[], [], []]);
});

test('identical closures differ in nothing', () => {
  const c = [sp('a-1'), sp('b-2')];
  assert.deepEqual(diffPackages(c, [...c].reverse()), { added: [], removed: [], changed: [], rebuilt: [] });
});
