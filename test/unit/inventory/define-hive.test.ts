// defineHive is the identity, typed for the editor. `tsc --noEmit` (part of `npm test`) checks the
// expected-error directives below, so a typo that stops being a type error fails the type check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineHive } from 'nix-hive';

test('defineHive returns its argument unchanged', () => {
  const hive = { systems: { web: { modules: ['./web.nix'] } } };
  assert.equal(defineHive(hive), hive);
});

test('typos and wrong types are editor errors', () => {
  const typos = () => {
    defineHive({
      systems: { web: { modules: ['./web.nix'] } },
      // @ts-expect-error unknown key `adress`
      instances: { a: { system: 'web', adress: '10.0.0.1' } },
    });
    defineHive({
      systems: { web: { modules: ['./web.nix'] } },
      // @ts-expect-error port is a number
      instances: { a: { system: 'web', address: 'a', port: '22' } },
    });
    // @ts-expect-error a hive-level flake is a flake reference string
    defineHive({ flake: true, instances: {} });
  };
  assert.equal(typeof typos, 'function');
});
