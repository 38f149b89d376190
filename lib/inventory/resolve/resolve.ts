// Turns an authored HiveConfig into the ResolvedHive every later layer reads: schema check, defaults
// applied (instance > defaults > built-in: user root, port 22), paths made absolute, then semantic checks.
// Reads the files `inventory` names (their instances merge into `instances`, problems about them name the
// file); otherwise pure unless `checkFiles` is set. Linear in the number of instances.
import path from 'node:path';
import { InputError, type Problem } from '../../errors.ts';
import type {
  CompressMode,
  HiveConfig,
  ResolvedHive,
  ResolvedInstance,
  ResolvedSystem,
  SshOptions,
  StoreRef,
} from '../types.ts';
import { schemaProblems } from '../validate/schema-check.ts';
import { semanticProblems } from '../validate/semantic-checks.ts';
import { fileProblems } from '../validate/file-checks.ts';
import { parseStore } from './store-ref.ts';
import { hostPlatform, resolveFile, resolveSearchPathValue, resolveSshValue } from './resolve-paths.ts';
import { isDict, type Dict } from '../validate/guards.ts';
import { expandInventory } from '../import/merge-inventory.ts';
import { resolveRollout } from './resolve-checks.ts';
import { resolveKeys } from './keys.ts';
import { resolveSigningKey } from './signing-key.ts';
import { parseSystemFlake } from './flake-ref.ts';

/** Built-in instance defaults, the last layer of precedence. */
export const BUILT_IN = { user: 'root', port: 22 } as const;

export interface ResolveOptions {
  /** Also check that module files exist and are readable (loadHive does). */
  checkFiles?: boolean;
  /** A signing key file that replaces the config's `signingKey` (`--signing-key`, `NIX_HIVE_SIGNING_KEY`). */
  signingKey?: string;
  /** The hive is a seed-format (nix-hive 0.1) file: each system's module is its `configuration` there. */
  seedFile?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;

/** Resolves and checks; throws InputError listing every problem at once. */
export function resolveHive(
  config: HiveConfig,
  configFile: string,
  options: ResolveOptions = {},
): ResolvedHive {
  const { hive, problems } = analyzeHive(config, configFile, options);
  if (problems.length > 0) throw new InputError(problems);
  return hive;
}

/** Resolves as much as it can and returns every problem found (schema, semantic, and files if asked). */
export function analyzeHive(
  config: unknown,
  configFile: string,
  options: ResolveOptions = {},
): { hive: ResolvedHive; problems: Problem[] } {
  const file = path.resolve(configFile);
  const root = path.dirname(file);
  if (!isDict(config)) {
    const got = Array.isArray(config) ? 'a list' : config === null ? 'null' : typeof config;
    const problem = {
      path: 'config',
      message: `must export a hive object (export default defineHive({…})), got ${got}`,
    };
    return {
      hive: { configFile: file, root, signingKey: undefined, systems: {}, instances: {} },
      problems: [problem],
    };
  }
  let c: Dict = config;
  let problems: Problem[];
  let locate = (p: Problem) => p;
  if (c.inventory !== undefined || c.overrides !== undefined) {
    // Entries the schema rejects are not read; imported instances are checked with the config's.
    const entryProblems = schemaProblems({ systems: {}, inventory: c.inventory });
    const skip = new Set(
      entryProblems.flatMap((p) => {
        const m = /^inventory\[(\d+)\]/.exec(p.path);
        return m ? [Number(m[1])] : [];
      }),
    );
    const expanded = expandInventory(c, file, root, skip);
    c = expanded.config;
    locate = expanded.locate;
    problems = [...expanded.problems, ...schemaProblems(c).map(locate)];
  } else problems = schemaProblems(c);
  if (options.signingKey !== undefined) c = { ...c, signingKey: options.signingKey };
  const hivePaths = isDict(c.paths) ? c.paths : {};
  const systems: Record<string, ResolvedSystem> = {};
  for (const [name, raw] of Object.entries(isDict(c.systems) ? c.systems : {})) {
    if (!isDict(raw)) continue;
    systems[name] = resolveSystem(root, name, raw, hivePaths, isDict(c.build) ? c.build : {});
    if (options.seedFile) systems[name].seedFile = options.seedFile;
  }
  const defaults = isDict(c.defaults) ? c.defaults : {};
  const instances: Record<string, ResolvedInstance> = {};
  const rawSystems = isDict(c.systems) ? c.systems : {};
  for (const [name, raw] of Object.entries(isDict(c.instances) ? c.instances : {})) {
    if (!isDict(raw)) continue;
    instances[name] = resolveInstance(root, name, raw, defaults);
    const sys = rawSystems[instances[name].system];
    instances[name].keys = resolveKeys(root, defaults.keys, isDict(sys) ? sys.keys : undefined, raw.keys);
    Object.assign(instances[name], resolveRollout(raw, isDict(sys) ? sys : undefined, defaults));
  }
  const hive: ResolvedHive = {
    configFile: file,
    root,
    signingKey:
      typeof c.signingKey === 'string'
        ? { kind: 'file', file: resolveFile(root, c.signingKey) }
        : resolveSigningKey(root, c.signingKey),
    compress: compressMode(c.compress) ?? 'auto',
    systems,
    instances,
  };
  problems.push(...semanticProblems(c, hive).map(locate));
  if (options.checkFiles) problems.push(...fileProblems(c, hive));
  return { hive, problems: unique(problems.map(oneLine)) };
}

function resolveSystem(
  root: string,
  name: string,
  raw: Dict,
  hivePaths: Dict,
  hiveBuild: Dict,
): ResolvedSystem {
  // The Nix search path takes the first match: the system's own entries first, then the hive's not overridden.
  const own = isDict(raw.paths) ? raw.paths : {};
  const paths: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(own))
    if (typeof v === 'string') paths.push([k, resolveSearchPathValue(root, v)]);
  for (const [k, v] of Object.entries(hivePaths))
    if (typeof v === 'string' && !(k in own)) paths.push([k, resolveSearchPathValue(root, v)]);
  return {
    name,
    modules: (strings(raw.modules) ?? []).map((m) => resolveFile(root, m)),
    paths,
    system: str(raw.system) ?? hostPlatform(),
    ...(typeof raw.flake === 'string' ? { flake: parseSystemFlake(root, raw.flake) } : {}),
    ...resolveBuild({ ...hiveBuild, ...(isDict(raw.build) ? raw.build : {}) }),
  };
}

/** Build settings as later layers read them: `builders` as Nix's one-line setting. */
function resolveBuild(b: Dict): { build?: ResolvedSystem['build'] } {
  const builders = Array.isArray(b.builders) ? strings(b.builders)!.join(' ; ') : str(b.builders);
  const build = {
    ...(str(b.host) !== undefined ? { host: str(b.host) } : {}),
    ...(builders !== undefined ? { builders } : {}),
    ...(typeof b.maxJobs === 'number' ? { maxJobs: b.maxJobs } : {}),
  };
  return Object.keys(build).length > 0 ? { build } : {};
}

function resolveInstance(root: string, name: string, raw: Dict, defaults: Dict): ResolvedInstance {
  const pick = (key: string): unknown => (raw[key] !== undefined ? raw[key] : defaults[key]);
  // A default `via` or `store` naming this very instance does not apply to it (the jump box itself).
  const notSelf = (key: string): string | undefined => {
    const v = str(pick(key));
    return raw[key] === undefined && v === name ? undefined : v;
  };
  const port = pick('port');
  const compress = compressMode(pick('compress'));
  const store = notSelf('store');
  let storeRef: StoreRef | undefined;
  if (store !== undefined) {
    const parsed = parseStore(store);
    if (parsed.ok) storeRef = parsed.ref;
  }
  return {
    name,
    system: str(pick('system')) ?? '',
    address: str(raw.address) ?? '',
    user: str(pick('user')) ?? BUILT_IN.user,
    port: typeof port === 'number' ? port : BUILT_IN.port,
    via: notSelf('via'),
    store: storeRef,
    tags: strings(pick('tags')) ?? [],
    hostKeys: strings(pick('hostKeys')) ?? [],
    ssh: mergeSsh(root, defaults.ssh, raw.ssh),
    keys: {},
    ...(compress !== undefined ? { compress } : {}),
  };
}

/** A `compress` setting as the schema allows it (anything else was reported by the schema check). */
function compressMode(v: unknown): CompressMode | undefined {
  return v === 'auto' || v === true || v === false ? v : undefined;
}

/** ssh_config keywords are case-insensitive: an instance's `identityFile` replaces the default `IdentityFile`. */
function mergeSsh(root: string, ...layers: unknown[]): SshOptions {
  const byLower = new Map<string, [string, string | number | boolean]>();
  for (const layer of layers) {
    if (!isDict(layer)) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
      byLower.set(k.toLowerCase(), [k, resolveSshValue(root, k, v)]);
    }
  }
  const out: SshOptions = {};
  for (const [k, v] of byLower.values()) out[k] = v;
  return out;
}

/** The same problem once (a source's bad `defaults` would be reported once per instance). */
function unique(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\n${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A safety net under the quoting: a problem is always exactly one line. */
function oneLine(p: Problem): Problem {
  const flat = (t: string) => t.replace(/[\r\n]/g, (c) => (c === '\n' ? '\\n' : '\\r'));
  return { path: flat(p.path), message: flat(p.message) };
}
