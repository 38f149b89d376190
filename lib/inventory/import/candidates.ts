// What every format reader yields: candidate records with a default name and a place in the file, turned
// into instances by the user's `map` or by the format's default mapping. Names are checked for duplicates
// within the file here; across files and against the config, by mergeInstanceSources.
import type { Problem } from '../../errors.ts';
import type { InventoryMap } from '../types.ts';
import { isDict, type Dict } from '../validate/guards.ts';
import { quote } from '../validate/field-path.ts';

/** One instance read from a file, not yet checked against the schema. */
export interface ImportedInstance {
  name: string;
  /** The instance's fields, without `name`. */
  fields: Dict;
  /** Where in the file it comes from: `web[3]`, `aws_instance.www["a"]`, `www-1`. */
  from: string;
  /** From a sensitive output or attribute: its values never appear in messages. */
  sensitive: boolean;
}

/** The default mapping of a record: a name (unless the default key fits) and the fields, or a problem. */
export type AutoResult = { name?: string; fields: Dict } | { problem: string };

export interface Candidate {
  record: unknown;
  /** The default name: a map key, `<output>-<index>`, an output name, a name derived from an address. */
  key: string;
  from: string;
  sensitive: boolean;
  auto: () => AutoResult;
}

/**
 * A dict record as an instance: `name` (when `nameField`) names it, the rest are its fields. A null (or
 * undefined) field is unset: terraform object types give every attribute, null when there is none.
 */
export function recordAuto(record: unknown, nameField: boolean): AutoResult {
  if (!isDict(record)) return { problem: `expected an instance object, got ${kindOf(record)}` };
  const fields: Dict = {};
  for (const [k, v] of Object.entries(record)) if (v !== null && v !== undefined) fields[k] = v;
  if (!nameField || !('name' in fields)) return { fields };
  const { name, ...rest } = fields;
  if (typeof name !== 'string') return { problem: `"name" must be a string, got ${kindOf(name)}` };
  return { name, fields: rest };
}

/** A value's kind in words, never its content (it may be a secret). */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'true or false';
  return `a ${typeof v}`;
}

/** Applies `map` (or the default mapping) to each candidate; problems are relative to the file. */
export function toInstances(
  candidates: Candidate[],
  map: InventoryMap | undefined,
  file: string,
): { instances: ImportedInstance[]; problems: Problem[] } {
  const instances: ImportedInstance[] = [];
  const problems: Problem[] = [];
  const byName = new Map<string, string>();
  for (const c of candidates) {
    let result: AutoResult;
    if (map) {
      let out: unknown;
      try {
        out = map(c.record, { file, key: c.key, from: c.from });
      } catch (e) {
        const err = e instanceof Error ? e : undefined;
        const detail = err && !c.sensitive ? `: ${err.message.split('\n')[0]}` : '';
        problems.push({ path: c.from, message: `map threw ${err ? err.name : 'a non-error'}${detail}` });
        continue;
      }
      if (out === undefined || out === null) continue;
      if (!isDict(out)) {
        problems.push({
          path: c.from,
          message: `map returned ${kindOf(out)}; expected an instance object, or undefined to skip`,
        });
        continue;
      }
      result = recordAuto(out, true);
    } else result = c.auto();
    if ('problem' in result) {
      problems.push({ path: c.from, message: result.problem });
      continue;
    }
    const name = result.name ?? c.key;
    const first = byName.get(name);
    if (first !== undefined) {
      problems.push({
        path: c.from,
        message: `instance ${quote(name)} defined twice in this file: by ${first} and by ${c.from}`,
      });
      continue;
    }
    byName.set(name, c.from);
    instances.push({ name, fields: result.fields, from: c.from, sensitive: c.sensitive });
  }
  return { instances, problems };
}
