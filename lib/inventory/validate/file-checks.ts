// The checks that read the disk: module files exist (run by loadHive; resolveHive stays pure unless asked),
// and, for the commands that sign only, that a signing key file is a readable Nix secret key.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import type { Problem } from '../../errors.ts';
import type { ResolvedHive } from '../types.ts';
import { fieldPath } from './field-path.ts';
import { isDict, type Dict } from './guards.ts';

/** Values the schema rejects (empty, line breaks) are reported there alone, not looked up on disk. */
const CHECKABLE = /^[^\r\n]+$/;

export function fileProblems(config: Dict, hive: ResolvedHive): Problem[] {
  const problems: Problem[] = [];
  const systems = isDict(config.systems) ? config.systems : {};
  for (const [name, raw] of Object.entries(systems)) {
    const resolved = hive.systems[name];
    if (!isDict(raw) || !Array.isArray(raw.modules) || !resolved) continue;
    raw.modules.forEach((m: unknown, i: number) => {
      if (typeof m !== 'string' || !CHECKABLE.test(m)) return;
      const file = resolved.modules[i]!;
      const problem = fileProblem(file);
      if (problem)
        problems.push({
          path: fieldPath(fieldPath(fieldPath('systems', name), 'modules'), i),
          message: `${problem}: ${file}`,
        });
    });
  }
  return problems;
}

/** A signing key file that is missing, unreadable or not a Nix secret key (never echoing the key). */
export function signingKeyFileProblem(hive: ResolvedHive): Problem | undefined {
  const k = hive.signingKey;
  if (k?.kind !== 'file' || !CHECKABLE.test(k.file)) return undefined;
  const problem = fileProblem(k.file) ?? keyProblem(k.file);
  return problem ? { path: 'signingKey', message: `${problem}: ${k.file}` } : undefined;
}

function fileProblem(file: string): string | undefined {
  try {
    if (!statSync(file).isFile()) return 'not a file';
    accessSync(file, constants.R_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'file not found' : 'file not readable';
  }
}

/** A Nix secret key file holds one line `name:base64`; the key itself is never echoed. */
function keyProblem(file: string): string | undefined {
  const text = readFileSync(file, 'utf8').trim();
  return /^[^:\s]+:[A-Za-z0-9+/]+=*$/.test(text)
    ? undefined
    : 'not a Nix secret key (expected "name:base64…")';
}
