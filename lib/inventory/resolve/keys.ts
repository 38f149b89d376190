// Keys in the inventory: resolving `keys.<name>` (defaults < system < instance, whole keys by name) into
// ResolvedKeys, the checks a schema cannot make (one source, absolute paths without `..`, one key per
// destination), and the safe view of a key that output may show (name, destination, owner, mode; never content).
// Nothing here reads a key's content: a `file` is opened and a `command` run only by the upload step.
import path from 'node:path';
import type { Problem } from '../../errors.ts';
import type { KeySource, KeyUploadAt, ResolvedKey } from '../types.ts';
import { fieldPath } from '../validate/field-path.ts';
import { isDict, type Dict } from '../validate/guards.ts';

export const DEFAULT_KEY_DIR = '/run/keys';
export const DEFAULT_KEY_MODE = '0600';
const SOURCES = ['text', 'file', 'command'] as const;

/** The keys of one instance: its own over its system's over the defaults', by name. */
export function resolveKeys(root: string, ...layers: unknown[]): Record<string, ResolvedKey> {
  const merged: Record<string, Dict> = {};
  for (const layer of layers) {
    if (!isDict(layer)) continue;
    for (const [name, raw] of Object.entries(layer)) if (isDict(raw)) merged[name] = raw;
  }
  const out: Record<string, ResolvedKey> = {};
  for (const [name, raw] of Object.entries(merged)) {
    const source = keySource(root, raw);
    if (source) out[name] = { name, source, ...keyTarget(name, raw) };
  }
  return out;
}

function keySource(root: string, raw: Dict): KeySource | undefined {
  if (typeof raw.text === 'string') return { kind: 'text', text: raw.text };
  if (typeof raw.file === 'string') return { kind: 'file', file: path.resolve(root, raw.file) };
  if (Array.isArray(raw.command) && raw.command.every((a) => typeof a === 'string'))
    return { kind: 'command', command: [...raw.command] };
  return undefined;
}

function keyTarget(name: string, raw: Dict): Omit<ResolvedKey, 'name' | 'source'> {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const dir = str(raw.destDir) ?? DEFAULT_KEY_DIR;
  return {
    path: str(raw.path) ?? `${dir.replace(/\/+$/, '')}/${name}`,
    user: str(raw.user) ?? 'root',
    group: str(raw.group) ?? 'root',
    mode: str(raw.mode) ?? DEFAULT_KEY_MODE,
    uploadAt: raw.uploadAt === 'post-activation' ? 'post-activation' : ('pre-activation' as KeyUploadAt),
  };
}

/** Problems of one `keys` block at `at` (e.g. `instances.www-1.keys`); shapes the schema rejects are left to it. */
export function keysProblems(at: string, keys: unknown): Problem[] {
  if (!isDict(keys)) return [];
  const problems: Problem[] = [];
  for (const [name, raw] of Object.entries(keys)) {
    if (!isDict(raw)) continue;
    const here = fieldPath(at, name);
    const given = SOURCES.filter((s) => raw[s] !== undefined);
    if (given.length === 0)
      problems.push({ path: here, message: 'needs exactly one source: text, file or command' });
    else if (given.length > 1)
      problems.push({
        path: here,
        message: `has ${given.join(' and ')}; give exactly one source (text, file or command)`,
      });
    if (raw.path !== undefined && raw.destDir !== undefined)
      problems.push({ path: fieldPath(here, 'path'), message: 'give either path or destDir, not both' });
    for (const field of ['path', 'destDir'] as const) {
      const v = raw[field];
      if (typeof v !== 'string' || /\s/.test(v)) continue;
      const problem = remotePathProblem(v);
      if (problem) problems.push({ path: fieldPath(here, field), message: problem });
    }
    if (typeof raw.path === 'string' && raw.path.endsWith('/'))
      problems.push({ path: fieldPath(here, 'path'), message: 'must name a file, not end with "/"' });
    if (typeof raw.file === 'string' && raw.file.includes('\0'))
      problems.push({ path: fieldPath(here, 'file'), message: 'must not contain NUL bytes' });
  }
  return problems;
}

function remotePathProblem(p: string): string | undefined {
  if (!p.startsWith('/')) return `must be an absolute path, got "${p}"`;
  if (p.split('/').some((seg) => seg === '..' || seg === '.')) return `must not contain "." or ".." segments`;
  if (p === '/' || /[\x00-\x1f\x7f]/.test(p)) return `must be a path to a file or folder, got "${p}"`;
  if (/^\/nix\/store(\/|$)/.test(p)) return 'must not be in the Nix store (it is world-readable)';
  return undefined;
}

/** Two keys of one instance may not share a destination. */
export function destinationProblems(at: string, keys: Record<string, ResolvedKey>): Problem[] {
  const byPath = new Map<string, string>();
  const problems: Problem[] = [];
  for (const k of Object.values(keys)) {
    const other = byPath.get(k.path);
    if (other)
      problems.push({
        path: fieldPath(at, k.name),
        message: `goes to ${k.path}, like key "${other}"; give each key its own destination`,
      });
    else byPath.set(k.path, k.name);
  }
  return problems;
}

/** What output may show of a key: never its content. */
export function describeKey(k: ResolvedKey) {
  return {
    name: k.name,
    source: k.source.kind,
    ...(k.source.kind === 'file' ? { file: k.source.file } : {}),
    ...(k.source.kind === 'command' ? { command: k.source.command } : {}),
    path: k.path,
    user: k.user,
    group: k.group,
    mode: k.mode,
    uploadAt: k.uploadAt,
  };
}
