// When the listr view may draw: both streams a terminal, and wide enough (a 0-column pty drew one character
// per line). Otherwise the deploy uses plain lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listrFits, MIN_COLUMNS } from '../../../lib/progress/listr.ts';

test('a terminal of normal width draws the view', () => {
  assert.equal(listrFits({ isTTY: true, columns: 120 }, { isTTY: true }), true);
});

test('0 columns, or narrower than the minimum, gets plain lines', () => {
  assert.equal(listrFits({ isTTY: true, columns: 0 }, { isTTY: true }), false);
  assert.equal(listrFits({ isTTY: true, columns: MIN_COLUMNS - 1 }, { isTTY: true }), false);
  assert.equal(listrFits({ isTTY: true }, { isTTY: true }), false);
});

test('stdout piped (`deploy | head`) or stderr piped: plain lines', () => {
  assert.equal(listrFits({ isTTY: false, columns: 120 }, { isTTY: true }), false);
  assert.equal(listrFits({ isTTY: true, columns: 120 }, { isTTY: false }), false);
});
