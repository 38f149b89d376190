import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pushRefusal } from '../../../../lib/deploy/copy/push-trust.ts';
import type { NixSettings } from '../../../../lib/deploy/copy/preflight.ts';

const KEY = 'hive-1:AAAA';
const base: NixSettings = { substituters: [], trustedKeys: [KEY], trustedUsers: ['root'], requireSigs: true };

test('an untrusted user is refused unsigned paths, or paths signed by a key the host does not trust', () => {
  assert.match(
    pushRefusal(base, 'deploy', [], undefined)!,
    /deploy is not in its trusted-users \(root\).*signs nothing/,
  );
  assert.match(
    pushRefusal({ ...base, trustedKeys: ['other-1:BBBB'] }, 'deploy', [], KEY)!,
    /not in its trusted-users.*hive key hive-1 \(trusted-public-keys\)/,
  );
  assert.equal(pushRefusal(base, 'deploy', [], KEY), undefined, 'signed by a trusted key: taken');
});

test('a trusted user (by name, @group or *) or require-sigs off takes anything', () => {
  for (const trustedUsers of [['deploy'], ['@wheel'], ['*']])
    assert.equal(pushRefusal({ ...base, trustedUsers }, 'deploy', ['users', 'wheel'], undefined), undefined);
  assert.ok(pushRefusal({ ...base, trustedUsers: ['@wheel'] }, 'deploy', ['users'], undefined));
  assert.equal(pushRefusal({ ...base, requireSigs: false }, 'deploy', [], undefined), undefined);
});
