// lastLine: the last non-blank line of an output, trimmed.
import test from 'node:test';
import assert from 'node:assert/strict';
import { lastLine } from '../../../lib/util/last-line.ts';

test('the last line, without the trailing newline and blanks', () => {
  assert.equal(lastLine('warning: x\nerror: no space left on device\n\n'), 'error: no space left on device');
  assert.equal(lastLine('  one  '), 'one');
  assert.equal(lastLine(''), '');
});
