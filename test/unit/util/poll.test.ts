// pollUntil and pause: answer, time-out, abort, and no abort listener left on a long-lived signal.
import test from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { pause, pollUntil } from '../../../lib/util/poll.ts';

test('pollUntil returns the first answer, calling again after each undefined', async () => {
  let calls = 0;
  const got = await pollUntil(async () => (++calls === 3 ? 'up' : undefined), {
    interval: 1,
    timeout: 60_000,
  });
  assert.equal(got, 'up');
  assert.equal(calls, 3);
});

test('pollUntil gives up (undefined) once the time is up, after at least one call', async () => {
  let calls = 0;
  const got = await pollUntil(async () => void calls++, { interval: 5, timeout: 20 });
  assert.equal(got, undefined);
  assert.ok(calls >= 1);
});

test('pollUntil passes on what the call throws', async () => {
  await assert.rejects(
    pollUntil(
      async () => {
        throw new Error('bad answer');
      },
      { interval: 1, timeout: 60_000 },
    ),
    /bad answer/,
  );
});

test('an abort ends the pause at once and polls no more', async () => {
  const stop = new AbortController();
  let calls = 0;
  const polling = pollUntil(
    async () => {
      calls++;
      setImmediate(() => stop.abort());
      return undefined;
    },
    { interval: 3_600_000, timeout: Infinity, signal: stop.signal },
  );
  assert.equal(await polling, undefined);
  assert.equal(calls, 1);
  assert.equal(await pause(3_600_000, stop.signal), false);
});

test('no abort listener is left on the signal after many polls and pauses', async () => {
  const run = new AbortController();
  let calls = 0;
  await pollUntil(async () => (++calls === 50 ? true : undefined), {
    interval: 0,
    timeout: 60_000,
    signal: run.signal,
    delay: 1,
  });
  for (let i = 0; i < 20; i++) assert.equal(await pause(0, run.signal), true);
  assert.equal(getEventListeners(run.signal, 'abort').length, 0);
});
