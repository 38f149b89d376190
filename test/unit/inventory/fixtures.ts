// Shared inputs for the inventory tests: a small valid config and a helper that expects an InputError.
import assert from 'node:assert/strict';
import { InputError } from '../../../lib/errors.ts';
import type { HiveConfig } from '../../../lib/inventory/types.ts';

export const CONFIG_FILE = '/hive/hive.config.ts';

/** A valid hive: portico is the jump box and store; www-1/www-2 behind it. */
export function baseConfig(): HiveConfig {
  return {
    paths: { nixpkgs: './nixpkgs' },
    signingKey: './keys/hive.sec',
    systems: {
      portico: { modules: ['./portico.nix'] },
      www: { modules: ['./www.nix'], system: 'aarch64-linux' },
    },
    instances: {
      portico: { system: 'portico', address: '203.0.113.10', tags: ['edge'] },
      'www-1': { system: 'www', address: '10.0.0.11', via: 'portico', store: 'portico', tags: ['web'] },
      'www-2': {
        system: 'www',
        address: '10.0.0.12',
        via: 'portico',
        store: 'portico',
        tags: ['web', 'canary'],
      },
    },
  };
}

/** Runs `fn`, expects an InputError, and returns its lines (`path: message`). */
export function problemLines(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    return e.message.split('\n');
  }
  assert.fail('expected an InputError');
}

export async function problemLinesAsync(fn: () => Promise<unknown>): Promise<string[]> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof InputError, `expected InputError, got ${(e as Error).stack}`);
    return e.message.split('\n');
  }
  assert.fail('expected an InputError');
}
