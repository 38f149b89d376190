import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closest, didYouMean, editDistance } from '../../../lib/inventory/validate/did-you-mean.ts';

test('edit distance counts swaps as one edit', () => {
  assert.equal(editDistance('adress', 'address'), 1);
  assert.equal(editDistance('portcio', 'portico'), 1);
  assert.equal(editDistance('abc', 'abc'), 0);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
});

test('suggests only plausible typos; case-insensitive; ties by name', () => {
  assert.equal(closest('portco', ['portico', 'www-1']), 'portico');
  assert.equal(closest('WWW-1', ['www-1', 'www-2']), 'www-1');
  assert.equal(closest('www-4', ['www-2', 'www-1']), 'www-1');
  assert.equal(closest('xyz', ['portico']), undefined);
  assert.equal(didYouMean('sytem', ['system', 'modules']), ' (did you mean "system"?)');
  assert.equal(didYouMean('zzz', ['system']), '');
});
