// `terraform show -json` state: the managed resources of `values.root_module` and, recursively, its
// `child_modules` become instances by a mapping: by default the resources tagged `HiveSystem`, the
// address from `private_ip` (or the first set attribute of `addressFrom`), the system from the tag
// `HiveSystem`, tags from `HiveTags`, and the name from the tag `HiveName` or else from the resource address.
import type { Problem } from '../../errors.ts';
import type { InventorySource } from '../types.ts';
import { isDict, type Dict } from '../validate/guards.ts';
import { quote } from '../validate/field-path.ts';
import { kindOf, type AutoResult, type Candidate } from './candidates.ts';
import { addressName } from './address-name.ts';

/** A resource as a `map` function receives it. */
export interface TerraformResource {
  /** `module.web.aws_instance.app[1]`, `aws_instance.www["a"]`. */
  address: string;
  mode: 'managed' | 'data';
  type: string;
  name: string;
  /** `count` index (a number) or `for_each` key (a string). */
  index?: number | string;
  /** The enclosing module's address, `''` at the root. */
  module: string;
  values: Dict;
  /** terraform's `sensitive_values`: `true` marks a sensitive attribute. */
  sensitiveValues: Dict;
  /** The tags (`tags_all`, `tags` or `labels`), strings only. */
  tags: Record<string, string>;
}

export const DEFAULT_ADDRESS_FROM = [
  'private_ip',
  'private_ip_address',
  'ipv4_address',
  'access_ip_v4',
  'network_interface.0.network_ip',
];

export function stateCandidates(
  data: Dict,
  source: InventorySource,
): { candidates: Candidate[]; problems: Problem[] } {
  const found = collectResources(data);
  if ('problem' in found) return { candidates: [], problems: [{ path: '', message: found.problem }] };
  const all = found.resources;
  const nameTag = source.nameTag ?? 'HiveName';
  const systemTag = source.systemTag ?? 'HiveSystem';
  const tagsTag = source.tagsTag ?? 'HiveTags';
  const addressFrom = source.addressFrom ?? DEFAULT_ADDRESS_FROM;
  let chosen: TerraformResource[];
  // Data sources are read, not run: never instances.
  const managed = all.filter((r) => r.mode === 'managed');
  if (source.resources) {
    const res = source.resources.map(addressPattern);
    chosen = managed.filter((r) => res.some((re) => re.test(r.address) || re.test(withoutIndex(r.address))));
  } else {
    chosen = source.map ? managed : managed.filter((r) => typeof r.tags[systemTag] === 'string');
  }
  if (chosen.length === 0)
    return { candidates: [], problems: [{ path: '', message: nothing(all, source, systemTag) }] };
  const candidates = chosen.map((r): Candidate => {
    const name = r.tags[nameTag];
    return {
      record: r,
      key: name ?? addressName(r.address),
      from: r.address,
      sensitive: source.map ? hasSensitive(r.sensitiveValues) : usesSensitive(r, addressFrom),
      auto: () => mapResource(r, { systemTag, tagsTag, addressFrom }),
    };
  });
  return { candidates, problems: [] };
}

function nothing(all: TerraformResource[], source: InventorySource, systemTag: string): string {
  if (all.length === 0) return 'no resources in this state (no instances)';
  if (source.resources)
    return `no resource matches ${source.resources.map(quote).join(', ')} (${sample(all)})`;
  return `no resource has the tag ${quote(systemTag)} (${sample(all)}); tag the instances, or pick them with \`resources\``;
}

function sample(all: TerraformResource[]): string {
  const shown = all.slice(0, 3).map((r) => r.address);
  return `resources: ${shown.join(', ')}${all.length > 3 ? `, … ${all.length - 3} more` : ''}`;
}

function mapResource(
  r: TerraformResource,
  o: { systemTag: string; tagsTag: string; addressFrom: string[] },
): AutoResult {
  const address = o.addressFrom
    .map((p) => attribute(r.values, p))
    .find((v) => typeof v === 'string' && v !== '');
  if (address === undefined)
    return {
      problem: `no address: none of ${o.addressFrom.join(', ')} is set (choose the attribute with \`addressFrom\`)`,
    };
  const fields: Dict = { address };
  const system = r.tags[o.systemTag];
  if (system !== undefined) fields.system = system;
  const tags = r.tags[o.tagsTag];
  if (tags !== undefined) fields.tags = tags.split(/[\s,]+/).filter((t) => t !== '');
  return { fields };
}

/** `a.0.b`: walks objects and lists (terraform writes nested blocks as lists). */
export function attribute(values: unknown, dotted: string): unknown {
  let v: unknown = values;
  for (const part of dotted.split('.')) {
    if (Array.isArray(v) && /^\d+$/.test(part)) v = v[Number(part)];
    else if (isDict(v)) v = v[part];
    else return undefined;
  }
  return v;
}

function usesSensitive(r: TerraformResource, addressFrom: string[]): boolean {
  return [...addressFrom, 'tags', 'tags_all', 'labels'].some((p) => attribute(r.sensitiveValues, p) === true);
}

function hasSensitive(v: unknown): boolean {
  if (v === true) return true;
  if (Array.isArray(v)) return v.some(hasSensitive);
  return isDict(v) && Object.values(v).some(hasSensitive);
}

/** `*` matches anything; every other character is literal (addresses hold `[`, `"` and `.`). */
function addressPattern(p: string): RegExp {
  return new RegExp(
    `^${p
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

function withoutIndex(address: string): string {
  return address.replace(/\[[^\]]*\]$/, '');
}

/** Every resource of the state, modules depth first in file order. */
export function collectResources(data: Dict): { resources: TerraformResource[] } | { problem: string } {
  if (data.values === undefined) return { resources: [] };
  if (!isDict(data.values) || !isDict(data.values.root_module))
    return {
      problem: `not a terraform state: values.root_module is ${kindOf(isDict(data.values) ? data.values.root_module : data.values)}`,
    };
  const resources: TerraformResource[] = [];
  const walk = (mod: Dict, moduleAddress: string) => {
    for (const raw of Array.isArray(mod.resources) ? mod.resources : []) {
      if (!isDict(raw) || typeof raw.address !== 'string') continue;
      const values = isDict(raw.values) ? raw.values : {};
      const index = typeof raw.index === 'number' || typeof raw.index === 'string' ? raw.index : undefined;
      resources.push({
        address: fullAddress(raw.address, moduleAddress, index),
        mode: raw.mode === 'data' ? 'data' : 'managed',
        type: typeof raw.type === 'string' ? raw.type : '',
        name: typeof raw.name === 'string' ? raw.name : '',
        ...(index !== undefined ? { index } : {}),
        module: moduleAddress,
        values,
        sensitiveValues: isDict(raw.sensitive_values) ? raw.sensitive_values : {},
        tags: tagsOf(values),
      });
    }
    for (const child of Array.isArray(mod.child_modules) ? mod.child_modules : [])
      if (isDict(child)) walk(child, typeof child.address === 'string' ? child.address : moduleAddress);
  };
  walk(data.values.root_module, '');
  return { resources };
}

/**
 * The resource's whole address. Format 0.1 (terraform 0.12) writes `null_resource.baz` with `index: 0` beside
 * it, and leaves the module path off resources in `child_modules`; later formats write both into the address.
 */
function fullAddress(address: string, module: string, index: number | string | undefined): string {
  let a = module && !address.startsWith(`${module}.`) ? `${module}.${address}` : address;
  if (index !== undefined && !a.endsWith(']'))
    a += `[${typeof index === 'number' ? index : JSON.stringify(index)}]`;
  return a;
}

function tagsOf(values: Dict): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['labels', 'tags', 'tags_all']) {
    const t = values[key];
    if (!isDict(t)) continue;
    for (const [k, v] of Object.entries(t)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}
