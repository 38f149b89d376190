// Where the config is: `-c` names a file or a folder (its hive.config.ts, or the seed format's hive.nix or
// default.nix); the default is ./hive.config.ts.
import { statSync } from 'node:fs';
import path from 'node:path';
import { ConfigLoadError } from './config-load-error.ts';

/** Config file names looked for in a folder, in order. */
export const CONFIG_NAMES = [
  'hive.config.ts',
  'hive.config.mts',
  'hive.config.mjs',
  'hive.config.js',
  'hive.config.json',
  'hive.config.yaml',
  'hive.config.yml',
  // The seed's own format (nix-hive 0.1), read as it is.
  'hive.nix',
  'default.nix',
];

/** How a path is shown in messages: relative to the working folder when inside it. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

export function findConfig(configPathOrDir: string | undefined, cwd = process.cwd()): string {
  const given = path.resolve(cwd, configPathOrDir ?? '.');
  let stat;
  try {
    stat = statSync(given);
  } catch {
    throw new ConfigLoadError(displayPath(given), 'config file not found');
  }
  if (stat.isFile()) return given;
  if (!stat.isDirectory()) throw new ConfigLoadError(displayPath(given), 'not a file or folder');
  for (const name of CONFIG_NAMES) {
    const file = path.join(given, name);
    try {
      if (statSync(file).isFile()) return file;
    } catch {
      // try the next name
    }
  }
  if (configPathOrDir === undefined)
    throw new ConfigLoadError('hive.config.ts', 'config file not found (give one with -c <file or folder>)');
  throw new ConfigLoadError(displayPath(given), 'no hive.config.ts in this folder');
}
