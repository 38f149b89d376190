// `defineHive()`: the identity function that gives a hive.config.ts editor completion and type errors
// (a typo such as `adress` is flagged by the editor, before ajv flags it at run time).
import type { HiveConfig } from './types.ts';

export function defineHive(hive: HiveConfig): HiveConfig {
  return hive;
}
