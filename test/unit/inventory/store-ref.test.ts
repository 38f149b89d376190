import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStore } from '../../../lib/inventory/resolve/store-ref.ts';

test('instance names become instance refs, URIs uri refs', () => {
  assert.deepEqual(parseStore('portico'), { ok: true, ref: { kind: 'instance', name: 'portico' } });
  for (const uri of [
    'daemon',
    'auto',
    'local?root=/mnt',
    'unix:///run/nix/socket',
    'ssh-ng://[fe80::1]',
    'https://c.example/x',
  ])
    assert.deepEqual(parseStore(uri), { ok: true, ref: { kind: 'uri', uri } }, uri);
});

test('malformed URIs carry the reason', () => {
  assert.deepEqual(parseStore('ftp://x'), {
    ok: false,
    message: 'malformed store URI "ftp://x": unknown scheme "ftp"',
  });
  assert.deepEqual(parseStore('ssh:/portico'), { ok: false, message: 'malformed store URI "ssh:/portico"' });
  assert.deepEqual(parseStore('unix://rel'), {
    ok: false,
    message: 'malformed store URI "unix://rel": unix:// needs an absolute path',
  });
});
