// One inventory file on its own (for `nix-hive import`): parse, recognise, map, and check each instance
// against the hive schema's instance definition. Problems name the file and key; values from sensitive
// outputs are never shown.
import type { Problem } from '../../errors.ts';
import type { InventorySource } from '../types.ts';
import { schemaProblems } from '../validate/schema-check.ts';
import { fieldPath } from '../validate/field-path.ts';
import { parseInventoryFile } from './parse-file.ts';
import { importData } from './import-data.ts';
import type { ConcreteFormat } from './detect-format.ts';
import type { ImportedInstance } from './candidates.ts';
import { redact, secretsOf } from './redact.ts';
import { splitInstancePath } from './merge-inventory.ts';

export interface FileImport {
  format: ConcreteFormat | undefined;
  instances: ImportedInstance[];
  problems: Problem[];
}

/** `file` is read from disk; `shown` is how messages name it. */
export function importInventoryFile(file: string, shown: string, source: InventorySource): FileImport {
  const parsed = parseInventoryFile(file);
  if (!parsed.ok)
    return { format: undefined, instances: [], problems: [{ path: shown, message: parsed.message }] };
  const got = importData(parsed.data, source, shown);
  const problems = got.problems.map((p) => ({
    path: p.path ? `${shown}: ${p.path}` : shown,
    message: p.message,
  }));
  const byName = new Map(got.instances.map((i) => [i.name, i]));
  const instances = Object.fromEntries(got.instances.map((i) => [i.name, i.fields]));
  for (const p of schemaProblems({ systems: {}, instances })) {
    const at = splitInstancePath(p.path);
    if (!at) continue;
    const inst = byName.get(at.name);
    problems.push({
      path: `${shown}: ${fieldPath('', at.name)}${at.rest}`,
      message: inst?.sensitive ? redact(p.message, secretsOf(inst.fields)) : p.message,
    });
  }
  return { format: got.format, instances: got.instances, problems };
}
