// The normalised inventory file `nix-hive import` writes: a `$schema` line for editor completion, then
// `name → instance` in the file's order, each instance's fields in the schema's order.
import { lazy } from '../../lazy.ts';
import type { ImportedInstance } from './candidates.ts';
import { instanceFields } from './schema-facts.ts';

const YAML = lazy<typeof import('yaml')>('yaml');

export function inventoryYaml(
  instances: ImportedInstance[],
  options: { schema: string; header: string[] },
): string {
  const doc: Record<string, unknown> = { $schema: options.schema };
  for (const inst of instances) {
    const ordered: Record<string, unknown> = {};
    for (const k of instanceFields()) if (inst.fields[k] !== undefined) ordered[k] = inst.fields[k];
    for (const [k, v] of Object.entries(inst.fields)) if (!(k in ordered)) ordered[k] = v;
    doc[inst.name] = ordered;
  }
  const yaml = new (YAML().Document)(doc);
  // Lists of tags and keys read best on one line.
  YAML().visit(yaml, { Seq: (_, node) => void (node.flow = true) });
  const body = yaml.toString({ lineWidth: 0, flowCollectionPadding: false });
  return options.header.map((l) => `# ${l}\n`).join('') + body;
}
