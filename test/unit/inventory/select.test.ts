import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveHive } from '../../../lib/inventory/resolve/resolve.ts';
import { selectTargets } from '../../../lib/inventory/resolve/select.ts';
import { globToRegExp } from '../../../lib/inventory/resolve/glob.ts';
import type { HiveConfig } from '../../../lib/inventory/types.ts';
import { CONFIG_FILE, problemLines } from './fixtures.ts';

const config: HiveConfig = {
  signingKey: './k',
  systems: {
    portico: { modules: ['./p.nix'] },
    www: { modules: ['./w.nix'] },
    storage: { modules: ['./s.nix'] },
  },
  instances: {
    'www-3': { system: 'www', address: 'a3', store: 'portico', tags: ['web'] },
    'www-1': { system: 'www', address: 'a1', store: 'portico', tags: ['web', 'canary'] },
    portico: { system: 'portico', address: 'p', tags: ['edge'] },
    'www-2': { system: 'www', address: 'a2', store: 'portico', tags: ['web'] },
    storage: { system: 'storage', address: 's', store: 'portico', tags: ['www'] },
  },
};
const hive = resolveHive(config, CONFIG_FILE);
const sel = (...p: string[]) => selectTargets(hive, p);

test('no patterns selects every instance, in name order', () => {
  assert.deepEqual(sel(), ['portico', 'storage', 'www-1', 'www-2', 'www-3']);
});

test('each pattern in turn, its matches in name order, first place kept', () => {
  assert.deepEqual(sel('portico', '*'), ['portico', 'storage', 'www-1', 'www-2', 'www-3']);
  assert.deepEqual(sel('www-3', 'www-*', 'portico'), ['www-3', 'www-1', 'www-2', 'portico']);
  assert.deepEqual(sel('@canary', '@web'), ['www-1', 'www-2', 'www-3']);
});

test('patterns match instance names, system names and tags; @tag only tags', () => {
  assert.deepEqual(sel('www'), ['storage', 'www-1', 'www-2', 'www-3']); // system www, and storage's tag www
  assert.deepEqual(sel('@www'), ['storage']);
  assert.deepEqual(sel('edge'), ['portico']);
  assert.deepEqual(sel('@edge'), ['portico']);
  assert.deepEqual(sel('stor*'), ['storage']);
});

test('globs: * ? [...] [!...]', () => {
  assert.deepEqual(sel('www-?'), ['www-1', 'www-2', 'www-3']);
  assert.deepEqual(sel('www-[13]'), ['www-1', 'www-3']);
  assert.deepEqual(sel('www-[!13]'), ['www-2']);
  assert.deepEqual(sel('www-[^1-2]'), ['www-3']);
  assert.deepEqual(sel('*o*'), ['portico', 'storage']);
  assert.ok(globToRegExp('a.b').test('a.b'));
  assert.ok(!globToRegExp('a.b').test('axb'));
  assert.ok(globToRegExp('x(1)+').test('x(1)+'));
});

test('!pattern excludes, wherever it stands; alone it excludes from all', () => {
  assert.deepEqual(sel('!www-2'), ['portico', 'storage', 'www-1', 'www-3']);
  assert.deepEqual(sel('!@web', '*'), ['portico', 'storage']);
  assert.deepEqual(sel('www-*', '!@canary'), ['www-2', 'www-3']);
});

test('a pattern matching nothing is an error naming it (with did you mean)', () => {
  assert.deepEqual(
    problemLines(() => sel('portco', 'www-9*', '@nope', '!gone')),
    [
      'targets: "portco" matches no instance, system or tag (did you mean "portico"?)',
      'targets: "www-9*" matches no instance, system or tag',
      'targets: "@nope" matches no tag',
      'targets: "!gone" matches no instance, system or tag',
    ],
  );
});

test('malformed and empty patterns, and excluding everything', () => {
  assert.deepEqual(
    problemLines(() => sel('www-[1')),
    ['targets: invalid pattern "www-[1": unclosed "["'],
  );
  assert.deepEqual(
    problemLines(() => sel('@')),
    ['targets: empty pattern "@"'],
  );
  assert.deepEqual(
    problemLines(() => sel('!*')),
    ['targets: no instance left after excluding !*'],
  );
});

// Its speed is a bench figure (the scale section); here, the result at that size.
test('selection over 50k instances: order kept, tags and exclusions applied', () => {
  const big: HiveConfig = { systems: { www: { modules: ['./w.nix'] } }, instances: {} };
  for (let i = 0; i < 50_000; i++)
    big.instances![`n${i}`] = { system: 'www', address: `h${i}`, tags: [`t${i % 10}`] };
  const h = resolveHive(big, CONFIG_FILE);
  const all = selectTargets(h, ['n49999', '@t3', '*', '!n1*']);
  assert.equal(all[0], 'n49999');
  assert.equal(all.length, 50_000 - 11_111);
});
