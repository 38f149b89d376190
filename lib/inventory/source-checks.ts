// Semantic checks for where systems come from and where they are built: each system has exactly one
// source (`modules`, a `flake` output, or the seed file's `configuration`), a hive without `systems`
// has a `flake`, and every `build.host` names an instance of the hive or an ssh-ng:// URI.
import type { Problem } from '../errors.ts';
import type { ResolvedHive } from './types.ts';
import { didYouMean } from './did-you-mean.ts';
import { fieldPath, quote } from './field-path.ts';
import { isDict, type Dict } from './guards.ts';

const HOST_URI = /^(ssh-ng|ssh):\/\/([a-z_][a-z0-9_.-]*@)?[A-Za-z0-9_.:%[\]-]+(\?[^\s]*)?$/;

export function sourceProblems(config: Dict, hive: ResolvedHive): Problem[] {
  const problems: Problem[] = [];
  if (config.systems === undefined && config.flake === undefined)
    problems.push({ path: 'systems', message: 'required field missing (or set `flake`)' });
  for (const [name, raw] of Object.entries(isDict(config.systems) ? config.systems : {})) {
    if (!isDict(raw)) continue;
    const at = fieldPath('systems', name);
    if (raw.modules !== undefined && raw.flake !== undefined)
      problems.push({ path: fieldPath(at, 'flake'), message: 'cannot be combined with `modules`: pick one' });
    else if (raw.modules === undefined && raw.flake === undefined && !hive.systems[name]?.seedFile)
      problems.push({
        path: fieldPath(at, 'modules'),
        message: `required field missing (or set ${fieldPath(at, 'flake')})`,
      });
    if (isDict(raw.build)) problems.push(...buildHostProblems(fieldPath(at, 'build'), raw.build.host, hive));
  }
  if (isDict(config.build)) problems.push(...buildHostProblems('build', config.build.host, hive));
  return problems;
}

/** Checks a build host value (also `--build-host`); `at` is the field or argument reported. */
export function buildHostProblems(at: string, host: unknown, hive: ResolvedHive): Problem[] {
  if (typeof host !== 'string') return [];
  const path = at.startsWith('--') ? at : fieldPath(at, 'host');
  if (host.includes('://')) {
    if (HOST_URI.test(host)) return [];
    return [{ path, message: `malformed build host URI ${quote(host)} (expected ssh-ng://[user@]host)` }];
  }
  if (host in hive.instances) return [];
  return [
    {
      path,
      message: `${quote(host)} is neither an instance of the hive nor an ssh-ng:// URI${didYouMean(host, Object.keys(hive.instances))}`,
    },
  ];
}
