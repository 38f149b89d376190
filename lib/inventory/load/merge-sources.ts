// Merges instance maps from several sources (the config itself, imported inventory files) into one,
// reporting every name defined twice with both sources, and names that differ only in case (they would
// collide as ssh Host aliases and as file names on case-insensitive file systems).
import type { Problem } from '../../errors.ts';
import type { InstanceConfig } from '../types.ts';
import { fieldPath } from '../validate/field-path.ts';

export interface InstanceSource {
  /** Where the instances come from, as shown in messages (e.g. `hive.config.ts`, `inventory/www.json`). */
  source: string;
  instances: Record<string, InstanceConfig>;
}

export function mergeInstanceSources(sources: InstanceSource[]): {
  instances: Record<string, InstanceConfig>;
  problems: Problem[];
} {
  const instances: Record<string, InstanceConfig> = {};
  const from = new Map<string, string>();
  const problems: Problem[] = [];
  for (const { source, instances: more } of sources) {
    for (const [name, inst] of Object.entries(more)) {
      const first = from.get(name);
      if (first !== undefined) {
        problems.push({
          path: fieldPath('instances', name),
          message: `defined twice: in ${first} and in ${source}`,
        });
        continue;
      }
      from.set(name, source);
      instances[name] = inst;
    }
  }
  return { instances, problems };
}

/** Names equal apart from case: one problem per later name, naming the first. Linear. */
export function caseCollisions(prefix: string, names: Iterable<string>): Problem[] {
  const seen = new Map<string, string>();
  const problems: Problem[] = [];
  for (const name of names) {
    const lower = name.toLowerCase();
    const first = seen.get(lower);
    if (first === undefined) seen.set(lower, name);
    else
      problems.push({
        path: fieldPath(prefix, name),
        message: `same name as "${first}" apart from case (ssh Host aliases and file names would collide)`,
      });
  }
  return problems;
}
