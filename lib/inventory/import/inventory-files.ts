// Which files the `inventory` entries name, in sorted path order. Patterns are globby patterns relative to
// the config's folder; the plain-string entries are matched together, so `!pattern` excludes from all of
// them. A file an entry names without wildcards is left out of every pattern's matches (so
// `['inventory/*.json', fromTerraform('inventory/tf.json', …)]` reads tf.json once, with its options).
import path from 'node:path';
import { globbySync, isDynamicPattern } from 'globby';
import type { Problem } from '../../errors.ts';
import type { InventorySource } from '../types.ts';
import { isDict } from '../validate/guards.ts';
import { displayPath, fieldPath, quote } from '../validate/field-path.ts';

export interface FileRead {
  /** Absolute path. */
  file: string;
  /** As shown in messages. */
  shown: string;
  /** Index of the entry in `inventory`. */
  entry: number;
  source: InventorySource;
}

const GLOB_OPTIONS = { absolute: true, onlyFiles: true, expandDirectories: false, dot: true } as const;

/** `skip` holds the indices of entries the schema rejected; they are not read. */
export function inventoryFiles(
  entries: unknown[],
  root: string,
  skip: Set<number>,
): { reads: FileRead[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const at = (i: number) => fieldPath('inventory', i);
  const strings: Array<[number, string]> = [];
  const sources: Array<[number, InventorySource]> = [];
  entries.forEach((e, i) => {
    if (skip.has(i)) return;
    if (typeof e === 'string') strings.push([i, e]);
    else if (isDict(e) && typeof e.files === 'string') {
      if (e.map !== undefined && typeof e.map !== 'function')
        problems.push({
          path: fieldPath(at(i), 'map'),
          message: 'must be a function (available in a TypeScript or JavaScript config)',
        });
      else sources.push([i, e as unknown as InventorySource]);
    }
  });
  const claimed = new Set<string>();
  for (const [, s] of sources) if (!isDynamicPattern(s.files)) claimed.add(path.resolve(root, s.files));

  const reads: FileRead[] = [];
  const match = (i: number, pattern: string, negations: string[], literal: boolean): string[] => {
    if (literal) return [path.resolve(root, pattern)];
    const found = globbySync([pattern, ...negations], { ...GLOB_OPTIONS, cwd: root }).map((f) =>
      path.normalize(f),
    );
    if (found.length === 0) problems.push({ path: at(i), message: `${quote(pattern)} matches no file` });
    return found.filter((f) => !claimed.has(f));
  };
  const negations = strings.filter(([, p]) => p.startsWith('!')).map(([, p]) => p);
  const fromStrings = new Map<string, number>();
  for (const [i, p] of strings) {
    if (p.startsWith('!')) continue;
    for (const f of match(i, p, negations, !isDynamicPattern(p)))
      if (!fromStrings.has(f)) fromStrings.set(f, i);
  }
  for (const [f, i] of fromStrings) reads.push(read(f, i, { files: entries[i] as string }));
  for (const [i, s] of sources)
    for (const f of match(i, s.files, [], !isDynamicPattern(s.files))) reads.push(read(f, i, s));
  // Sorted by path, then by entry: the merge order, and so the order of instances, is stable.
  reads.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.entry - b.entry));
  return { reads, problems };
}

function read(file: string, entry: number, source: InventorySource): FileRead {
  return { file, shown: displayPath(file), entry, source };
}
