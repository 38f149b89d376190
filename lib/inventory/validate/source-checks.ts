// Semantic checks for where systems come from and where they are built: each system has exactly one
// source (`modules`, a `flake` output, or the seed file's `configuration`), a hive without `systems`
// has a `flake`, and every `build.host` names an instance of the hive or an ssh-ng:// URI. Also (reading the
// disk, for the loader): the signing key never sits where Nix would copy it into the store with a flake.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Problem } from '../../errors.ts';
import { localFlakeDir } from '../resolve/flake-ref.ts';
import type { ResolvedHive } from '../types.ts';
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
    return [
      { path, message: `malformed build host URI ${quote(host)} (expected ssh-ng://[user@]host[:port])` },
    ];
  }
  if (host in hive.instances) return [];
  return [
    {
      path,
      message: `${quote(host)} is neither an instance of the hive nor an ssh-ng:// URI${didYouMean(host, Object.keys(hive.instances))}`,
    },
  ];
}

/**
 * A signing key inside a local flake folder that is not a git repository would be copied into the Nix store
 * (world-readable) with the whole folder whenever Nix evaluates the flake. Refused before anything runs.
 * (In a git repository Nix copies only tracked files; keep the key untracked.)
 */
export function keyInFlakeProblems(hive: ResolvedHive): Problem[] {
  // Only a key file can lie in a folder; a command or environment source never touches the disk.
  const key = hive.signingKey?.kind === 'file' ? hive.signingKey.file : undefined;
  if (key === undefined) return [];
  const dirs = new Set(
    Object.values(hive.systems).flatMap((s) => {
      const d = s.flake ? localFlakeDir(s.flake.ref) : undefined;
      return d ? [d] : [];
    }),
  );
  for (const dir of dirs) {
    const rel = path.relative(dir, key);
    if (rel.startsWith('..') || path.isAbsolute(rel) || existsSync(path.join(dir, '.git'))) continue;
    return [
      {
        path: 'signingKey',
        message: `${quote(key)} lies inside the flake folder ${quote(dir)}, which Nix copies whole into the world-readable store; keep the key outside it (or make the flake a git repository that does not track the key)`,
      },
    ];
  }
  return [];
}
