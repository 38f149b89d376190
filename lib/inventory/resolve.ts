// Turns an authored HiveConfig into the ResolvedHive every later layer reads: schema check, defaults
// applied (instance > defaults > built-in: user root, port 22), paths made absolute, then semantic checks.
// Pure unless `checkFiles` is set; linear in the number of instances.
import path from 'node:path';
import { InputError, type Problem } from '../errors.ts';
import type {
  HiveConfig,
  ResolvedHive,
  ResolvedInstance,
  ResolvedSystem,
  SshOptions,
  StoreRef,
} from './types.ts';
import { schemaProblems } from './schema-check.ts';
import { semanticProblems } from './semantic-checks.ts';
import { fileProblems } from './file-checks.ts';
import { parseStore } from './store-ref.ts';
import { hostPlatform, resolveFile, resolveSearchPathValue, resolveSshValue } from './resolve-paths.ts';
import { isDict, type Dict } from './guards.ts';

/** Built-in instance defaults, the last layer of precedence. */
export const BUILT_IN = { user: 'root', port: 22 } as const;

export interface ResolveOptions {
  /** Also check that module files and the signing key exist and are readable (loadHive does). */
  checkFiles?: boolean;
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
  const problems = schemaProblems(config);
  const hivePaths = isDict(config.paths) ? config.paths : {};
  const systems: Record<string, ResolvedSystem> = {};
  for (const [name, raw] of Object.entries(isDict(config.systems) ? config.systems : {})) {
    if (!isDict(raw)) continue;
    systems[name] = resolveSystem(root, name, raw, hivePaths);
  }
  const defaults = isDict(config.defaults) ? config.defaults : {};
  const instances: Record<string, ResolvedInstance> = {};
  for (const [name, raw] of Object.entries(isDict(config.instances) ? config.instances : {})) {
    if (!isDict(raw)) continue;
    instances[name] = resolveInstance(root, name, raw, defaults);
  }
  const signingKey = str(config.signingKey);
  const hive: ResolvedHive = {
    configFile: file,
    root,
    signingKey: signingKey === undefined ? undefined : resolveFile(root, signingKey),
    systems,
    instances,
  };
  problems.push(...semanticProblems(config, hive));
  if (options.checkFiles) problems.push(...fileProblems(config, hive));
  return { hive, problems: problems.map(oneLine) };
}

function resolveSystem(root: string, name: string, raw: Dict, hivePaths: Dict): ResolvedSystem {
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
  };
}

function resolveInstance(root: string, name: string, raw: Dict, defaults: Dict): ResolvedInstance {
  const pick = (key: string): unknown => (raw[key] !== undefined ? raw[key] : defaults[key]);
  // A default `via` or `store` naming this very instance does not apply to it (the jump box itself).
  const notSelf = (key: string): string | undefined => {
    const v = str(pick(key));
    return raw[key] === undefined && v === name ? undefined : v;
  };
  const port = pick('port');
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
  };
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

/** A safety net under the quoting: a problem is always exactly one line. */
function oneLine(p: Problem): Problem {
  const flat = (t: string) => t.replace(/[\r\n]/g, (c) => (c === '\n' ? '\\n' : '\\r'));
  return { path: flat(p.path), message: flat(p.message) };
}
