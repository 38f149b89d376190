// Recognises an inventory file's format by its content, never by its name: terraform state
// (`terraform show -json`), terraform outputs (`terraform output -json`), a plain instance map or list,
// and otherwise pulumi outputs (`pulumi stack output --json`, a plain map of outputs).
import type { InventoryFormat } from '../types.ts';
import { isDict } from '../validate/guards.ts';
import { instanceFields } from './schema-facts.ts';

export type ConcreteFormat = Exclude<InventoryFormat, 'auto'>;

export function detectFormat(data: unknown): { format: ConcreteFormat } | { problem: string } {
  if (Array.isArray(data)) return { format: 'instances' };
  if (!isDict(data))
    return {
      problem: `expected an object or a list of instances, got ${data === null ? 'null' : typeof data}`,
    };
  const problem = otherTerraform(data);
  if (problem) return { problem };
  if ('format_version' in data && 'terraform_version' in data) return { format: 'terraform-state' };
  const entries = Object.entries(data).filter(([k]) => k !== '$schema');
  if (entries.length === 0) return { problem: 'no instances (the file holds an empty object)' };
  if (entries.every(([, v]) => isDict(v) && 'value' in v && typeof v.sensitive === 'boolean'))
    return { format: 'terraform-output' };
  // A plain map when every value holds an instance field (rather than, say, a pulumi output of instances).
  const fields = new Set(instanceFields());
  if (entries.every(([, v]) => isDict(v) && Object.keys(v).some((k) => fields.has(k))))
    return { format: 'instances' };
  return { format: 'pulumi-output' };
}

/** Terraform documents nix-hive does not read, each with what to run instead. */
function otherTerraform(data: Record<string, unknown>): string | undefined {
  if ('planned_values' in data || 'resource_changes' in data)
    return 'a terraform plan, not state: use the output of `terraform show -json` without a plan file';
  if (typeof data.version === 'number' && 'lineage' in data && Array.isArray(data.resources))
    return 'a raw terraform.tfstate: use the output of `terraform show -json` (or `terraform output -json`)';
  return undefined;
}

/** A value is an instance when it is an object with a string `address`. */
export function isInstanceLike(v: unknown): v is Record<string, unknown> {
  return isDict(v) && typeof v.address === 'string';
}
