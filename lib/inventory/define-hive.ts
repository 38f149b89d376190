// `defineHive()`: the identity function that gives a hive.config.ts editor completion and type errors.
import type { HiveConfig } from './types.ts';

export function defineHive<const T extends HiveConfig>(hive: T): T {
  return hive;
}
