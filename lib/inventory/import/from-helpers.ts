// Typed helpers for hive.config.ts: each returns an `inventory` entry that reads a file (relative to the
// config's folder) in one format, with a `map` typed for that format's records. The file is read when the
// hive loads, like any inventory file, so problems name it.
//
//   inventory: [fromTerraform('tf.json', { outputs: ['web'], map: (r) => ({ address: r.private_ip, system: 'www' }) })]
import type { InstanceDefaults, InventoryRecordContext, InventorySource, MappedInstance } from '../types.ts';
import type { TerraformResource } from './terraform-state.ts';

type Mapper<R> = (record: R, context: InventoryRecordContext) => MappedInstance | null | undefined;

interface Common {
  /** Defaults for these instances; their own values win, these win over the hive's `defaults`. */
  defaults?: InstanceDefaults;
}

/** `map` needs `outputs`: the outputs whose records it maps. */
export type OutputOptions<R> =
  (Common & { outputs?: string[]; map?: undefined }) | (Common & { outputs: string[]; map: Mapper<R> });

export interface StateOptions extends Common {
  resources?: string[];
  nameTag?: string;
  systemTag?: string;
  tagsTag?: string;
  addressFrom?: string[];
  map?: Mapper<TerraformResource>;
}

/** Records are whatever the outputs hold: give `R` to type them. */
type AnyRecord = any;

/** `terraform output -json` files. Records: list items, map values, or an output's value. */
export function fromTerraform<R = AnyRecord>(files: string, options: OutputOptions<R> = {}): InventorySource {
  return source(files, 'terraform-output', options);
}

/** `pulumi stack output --json` files. Records as for fromTerraform. */
export function fromPulumi<R = AnyRecord>(files: string, options: OutputOptions<R> = {}): InventorySource {
  return source(files, 'pulumi-output', options);
}

/** `terraform show -json` state files. Records: resources (modules included). */
export function fromTerraformState(files: string, options: StateOptions = {}): InventorySource {
  return source(files, 'terraform-state', options);
}

/** Plain YAML/JSON instance files (a map `name → instance`, or a list with `name`). */
export function fromInstances(
  files: string,
  options: Common & { map?: Mapper<Record<string, AnyRecord>> } = {},
): InventorySource {
  return source(files, 'instances', options);
}

function source(files: string, format: InventorySource['format'], options: object): InventorySource {
  const out: Record<string, unknown> = { files, format };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) out[k] = v;
  return out as unknown as InventorySource;
}
