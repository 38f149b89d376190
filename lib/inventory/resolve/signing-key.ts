// The hive's signing key in the inventory: a file path (relative to the config), `{ command: [...] }` or
// `{ env: 'NAME' }`. Resolving never reads it; only the steps that sign do (lib/deploy/build/signing-key.ts).
// `--signing-key <file>` beats `NIX_HIVE_SIGNING_KEY` (a file path), which beats the config.
import path from 'node:path';
import type { Problem } from '../../errors.ts';
import type { SigningKey } from '../types.ts';
import { isDict } from '../validate/guards.ts';

export function resolveSigningKey(root: string, raw: unknown): SigningKey | undefined {
  if (typeof raw === 'string') return { kind: 'file', file: path.resolve(root, raw) };
  if (!isDict(raw)) return undefined;
  if (Array.isArray(raw.command) && raw.command.every((a) => typeof a === 'string'))
    return { kind: 'command', command: [...raw.command] };
  if (typeof raw.env === 'string') return { kind: 'env', env: raw.env };
  return undefined;
}

/** An object signingKey names exactly one of `command` and `env` (the schema checks each one's shape). */
export function signingKeyProblems(raw: unknown): Problem[] {
  if (!isDict(raw)) return [];
  const given = ['command', 'env'].filter((k) => raw[k] !== undefined);
  if (given.length === 1) return [];
  return [
    {
      path: 'signingKey',
      message:
        given.length === 0
          ? 'needs a file path, { command: [...] } or { env: "NAME" }'
          : 'give either command or env, not both',
    },
  ];
}

/** What output may show of the signing key: the file, the command, or the variable's name. */
export function describeSigningKey(
  k: SigningKey | undefined,
): string | { command: string[] } | { env: string } | null {
  if (!k) return null;
  if (k.kind === 'file') return k.file;
  return k.kind === 'command' ? { command: k.command } : { env: k.env };
}

/** The key file the user named outside the config: `--signing-key`, else `NIX_HIVE_SIGNING_KEY`. */
export function signingKeyOverride(cli: string | undefined, env: string | undefined): string | undefined {
  const v = cli ?? (env === '' ? undefined : env);
  return v === undefined ? undefined : path.resolve(v);
}
