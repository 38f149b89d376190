// Expands a config's `inventory` and `overrides` into its `instances`: reads every file, applies each
// source's `defaults`, merges with the config's own instances (a name defined twice is an error naming
// both places), then applies `overrides`. `locate` turns a later problem about an imported instance
// (`instances.www-7.system`) into one naming the file and key (`inventory/www.json: www-7.system`).
import type { Problem } from '../../errors.ts';
import type { InstanceConfig } from '../types.ts';
import { isDict, type Dict } from '../validate/guards.ts';
import { displayPath, fieldPath } from '../validate/field-path.ts';
import { didYouMean } from '../validate/did-you-mean.ts';
import { mergeInstanceSources, type InstanceSource } from '../load/merge-sources.ts';
import { inventoryFiles } from './inventory-files.ts';
import { parseInventoryFile } from './parse-file.ts';
import { importData } from './import-data.ts';
import { redact, secretsOf } from './redact.ts';

interface Origin {
  /** The instance as imported (to tell whether the merge kept it). */
  instance: unknown;
  file: string;
  entry: number;
  /** Fields filled in from the source's `defaults`. */
  filled: Set<string>;
  secrets: string[] | undefined;
}

export interface ExpandedInventory {
  /** The config with `instances` merged and overridden. */
  config: Dict;
  /** Problems of reading, merging and overriding, with their final paths. */
  problems: Problem[];
  locate: (p: Problem) => Problem;
}

export function expandInventory(
  config: Dict,
  configFile: string,
  root: string,
  skip: Set<number>,
): ExpandedInventory {
  const problems: Problem[] = [];
  const origins = new Map<string, Origin>();
  const sources: InstanceSource[] = [];
  const configShown = displayPath(configFile);
  sources.push({
    source: configShown,
    instances: (isDict(config.instances) ? config.instances : {}) as Record<string, InstanceConfig>,
  });

  const entries = Array.isArray(config.inventory) ? (config.inventory as unknown[]) : [];
  const files = inventoryFiles(entries, root, skip);
  problems.push(...files.problems);
  for (const r of files.reads) {
    const parsed = parseInventoryFile(r.file);
    if (!parsed.ok) {
      problems.push({ path: r.shown, message: parsed.message });
      continue;
    }
    const got = importData(parsed.data, r.source, r.shown);
    for (const p of got.problems)
      problems.push({ path: p.path ? `${r.shown}: ${p.path}` : r.shown, message: p.message });
    const instances: Record<string, InstanceConfig> = {};
    const defaults = isDict(r.source.defaults) ? (r.source.defaults as Dict) : undefined;
    for (const inst of got.instances) {
      const { fields, filled } = withDefaults(inst.fields, defaults);
      instances[inst.name] = fields as unknown as InstanceConfig;
      if (!origins.has(inst.name))
        origins.set(inst.name, {
          instance: instances[inst.name],
          file: r.shown,
          entry: r.entry,
          filled,
          secrets: inst.sensitive ? secretsOf(fields) : undefined,
        });
    }
    sources.push({ source: r.shown, instances });
  }

  const merged = mergeInstanceSources(sources);
  for (const p of merged.problems) {
    // A config instance clashing with an imported one: say how to change an imported instance on purpose.
    const fromConfig = p.message.startsWith(`defined twice: in ${configShown} and in `);
    problems.push(
      fromConfig ? { ...p, message: `${p.message}; to change an imported instance, use overrides` } : p,
    );
  }
  const instances = merged.instances as unknown as Record<string, Dict>;
  // A name the config defines too stays the config's: its problems keep their config paths.
  for (const [name, o] of origins) if (instances[name] !== o.instance) origins.delete(name);

  const overridden = new Map<string, Set<string>>();
  if (isDict(config.overrides))
    for (const [name, ov] of Object.entries(config.overrides)) {
      if (!isDict(ov)) continue;
      const target = instances[name];
      if (!target) {
        problems.push({
          path: fieldPath('overrides', name),
          message: `unknown instance "${name}"${didYouMean(name, Object.keys(instances))}`,
        });
        continue;
      }
      instances[name] = override(target, ov);
      overridden.set(name, new Set(Object.keys(ov)));
    }

  const locate = (p: Problem): Problem => {
    const at = splitInstancePath(p.path);
    if (!at) return p;
    const { name, rest } = at;
    const field = /^\.([A-Za-z0-9_]+)/.exec(rest)?.[1];
    if (field && overridden.get(name)?.has(field)) return { ...p, path: fieldPath('overrides', name) + rest };
    const o = origins.get(name);
    if (!o) return p;
    if (field && o.filled.has(field))
      return {
        ...p,
        path:
          fieldPath(fieldPath(fieldPath('inventory', o.entry), 'defaults'), field) +
          rest.slice(field.length + 1),
      };
    return {
      path: `${o.file}: ${fieldPath('', name)}${rest}`,
      message: o.secrets ? redact(p.message, o.secrets) : p.message,
    };
  };
  return { config: { ...config, instances }, problems, locate };
}

/** `instances.www-7.system` → `www-7` and `.system`; `instances["odd name"]` → `odd name` and ``. */
export function splitInstancePath(path: string): { name: string; rest: string } | undefined {
  const m = /^instances(?:\.([A-Za-z0-9_][A-Za-z0-9_-]*)|\[("(?:[^"\\]|\\.)*")\])(.*)$/.exec(path);
  if (!m) return undefined;
  return { name: m[1] ?? (JSON.parse(m[2]!) as string), rest: m[3]! };
}

/** The source's defaults fill the fields an instance does not set (`ssh` key by key). */
function withDefaults(fields: Dict, defaults: Dict | undefined): { fields: Dict; filled: Set<string> } {
  const filled = new Set<string>();
  if (!defaults) return { fields, filled };
  const out: Dict = { ...fields };
  for (const [k, v] of Object.entries(defaults)) {
    if (out[k] === undefined) {
      out[k] = v;
      filled.add(k);
    } else if (k === 'ssh' && isDict(v) && isDict(out.ssh)) out.ssh = { ...v, ...out.ssh };
  }
  return { fields: out, filled };
}

/** Override fields replace the instance's; `ssh` merges key by key. Never mutates the config's objects. */
function override(target: Dict, ov: Dict): Dict {
  const out: Dict = { ...target, ...ov };
  if (isDict(target.ssh) && isDict(ov.ssh)) out.ssh = { ...target.ssh, ...ov.ssh };
  return out;
}
