// Layer three of inventory checking: what a schema cannot say. Unknown system/via/store names (with
// "did you mean"), store URIs, cycles in `via` and `store`, ssh options nix-hive sets itself, the signing key.
// Linear in the number of instances; suggestions are computed only for problems.
import type { Problem } from '../../errors.ts';
import type { ResolvedHive } from '../types.ts';
import { didYouMean } from './did-you-mean.ts';
import { fieldPath } from './field-path.ts';
import { isValidName, parseStore } from '../resolve/store-ref.ts';
import { reservedSshOption } from '../resolve/ssh-options.ts';
import { caseCollisions } from '../load/merge-sources.ts';
import { isDict, type Dict } from './guards.ts';
import { checkListProblems } from '../resolve/resolve-checks.ts';
import { destinationProblems, keysProblems } from '../resolve/keys.ts';
import { signingKeyProblems } from '../resolve/signing-key.ts';
import { sourceProblems } from './source-checks.ts';

/** The schema's shape for `store`; values it rejects are reported by the schema check alone. */
const STORE_RE = /^[^\s-][^\s]*$/;

export function semanticProblems(config: Dict, hive: ResolvedHive): Problem[] {
  const problems: Problem[] = [];
  const defaults = isDict(config.defaults) ? config.defaults : {};
  const rawInstances = isDict(config.instances) ? config.instances : {};
  const systemNames = Object.keys(hive.systems);
  const instanceNames = () => Object.keys(hive.instances);

  // Defaults are checked once, at their own path, not once per instance.
  const defaultSystem = defaults.system;
  if (typeof defaultSystem === 'string' && isValidName(defaultSystem) && !(defaultSystem in hive.systems))
    problems.push(unknown('defaults.system', 'system', defaultSystem, systemNames));
  for (const key of ['via', 'store'] as const) {
    const v = defaults[key];
    if (typeof v !== 'string' || (key === 'store' && !STORE_RE.test(v))) continue;
    const ref = key === 'store' ? parseStore(v) : { ok: true as const, ref: { kind: 'instance', name: v } };
    if (!ref.ok) problems.push({ path: `defaults.${key}`, message: ref.message });
    else if (ref.ref.kind === 'instance' && isValidName(ref.ref.name) && !(ref.ref.name in hive.instances))
      problems.push(unknown(`defaults.${key}`, 'instance', ref.ref.name, instanceNames()));
  }
  const anyPinned = Object.values(hive.instances).some((i) => i.hostKeys.length > 0);
  problems.push(...reservedSsh('defaults', defaults.ssh, anyPinned));
  problems.push(...checkListProblems(defaults.checks, 'defaults.checks'));
  for (const [name, sys] of Object.entries(isDict(config.systems) ? config.systems : {}))
    if (isDict(sys))
      problems.push(...checkListProblems(sys.checks, fieldPath(fieldPath('systems', name), 'checks')));
  problems.push(...keysProblems('defaults.keys', defaults.keys), ...signingKeyProblems(config.signingKey));
  for (const [name, sys] of Object.entries(isDict(config.systems) ? config.systems : {}))
    if (isDict(sys)) problems.push(...keysProblems(fieldPath(fieldPath('systems', name), 'keys'), sys.keys));

  let needsSigning = false;
  for (const [name, raw] of Object.entries(rawInstances)) {
    if (!isDict(raw)) continue;
    const at = fieldPath('instances', name);
    const inst = hive.instances[name];
    if (!inst) continue;
    problems.push(...checkListProblems(raw.checks, fieldPath(at, 'checks')));
    if (raw.system === undefined && defaultSystem === undefined)
      problems.push({
        path: fieldPath(at, 'system'),
        message: 'required field missing (or set defaults.system)',
      });
    else if (typeof raw.system === 'string' && isValidName(raw.system) && !(raw.system in hive.systems))
      problems.push(unknown(fieldPath(at, 'system'), 'system', raw.system, systemNames));
    if (typeof raw.via === 'string' && isValidName(raw.via) && !(raw.via in hive.instances))
      problems.push(unknown(fieldPath(at, 'via'), 'instance', raw.via, instanceNames()));
    if (typeof raw.store === 'string' && STORE_RE.test(raw.store)) {
      const parsed = parseStore(raw.store);
      if (!parsed.ok) problems.push({ path: fieldPath(at, 'store'), message: parsed.message });
      else if (parsed.ref.kind === 'instance' && !(parsed.ref.name in hive.instances))
        problems.push(unknown(fieldPath(at, 'store'), 'instance', parsed.ref.name, instanceNames()));
    }
    if (inst.store) needsSigning = true;
    problems.push(...reservedSsh(at, raw.ssh, inst.hostKeys.length > 0));
    problems.push(...keysProblems(fieldPath(at, 'keys'), raw.keys));
    problems.push(...destinationProblems(fieldPath(at, 'keys'), inst.keys));
  }

  problems.push(...sourceProblems(config, hive));
  problems.push(...caseCollisions('systems', Object.keys(hive.systems)));
  problems.push(...caseCollisions('instances', Object.keys(hive.instances)));
  problems.push(...cycles(hive, 'via', (n) => hive.instances[n]?.via));
  problems.push(
    ...cycles(hive, 'store', (n) => {
      const s = hive.instances[n]?.store;
      return s?.kind === 'instance' ? s.name : undefined;
    }),
  );

  if (needsSigning && config.signingKey === undefined)
    problems.push({
      path: 'signingKey',
      message:
        'required field missing: instances use a store, so pushed paths must be signed ' +
        '(create a key with: nix-store --generate-binary-cache-key <name> hive.sec hive.pub)',
    });
  return problems;
}

function unknown(
  path: string,
  what: 'system' | 'instance',
  name: string,
  candidates: Iterable<string>,
): Problem {
  return { path, message: `unknown ${what} "${name}"${didYouMean(name, candidates)}` };
}

function reservedSsh(at: string, ssh: unknown, pinned: boolean): Problem[] {
  if (!isDict(ssh)) return [];
  const out: Problem[] = [];
  for (const key of Object.keys(ssh)) {
    const message = reservedSshOption(at, key, pinned);
    if (message) out.push({ path: fieldPath(fieldPath(at, 'ssh'), key), message });
  }
  return out;
}

/**
 * Cycles in a graph where each instance has at most one outgoing edge (`via` or `store`): one walk per
 * instance with three colours, so linear. Each cycle is reported once, at its alphabetically first member.
 */
function cycles(
  hive: ResolvedHive,
  field: 'via' | 'store',
  next: (name: string) => string | undefined,
): Problem[] {
  const state = new Map<string, 1 | 2>(); // 1 = on the current walk, 2 = done
  const out: Problem[] = [];
  for (const start of Object.keys(hive.instances)) {
    if (state.has(start)) continue;
    const walk: string[] = [];
    let n: string | undefined = start;
    while (n !== undefined && n in hive.instances && !state.has(n)) {
      state.set(n, 1);
      walk.push(n);
      n = next(n);
    }
    if (n !== undefined && state.get(n) === 1) {
      const loop = walk.slice(walk.indexOf(n));
      const first = loop.reduce((a, b) => (b < a ? b : a));
      const i = loop.indexOf(first);
      const ordered = [...loop.slice(i), ...loop.slice(0, i), first];
      const message =
        loop.length === 1
          ? `"${first}" cannot be its own ${field === 'via' ? 'jump host' : 'store'}`
          : `cycle: ${ordered.join(' → ')}`;
      out.push({ path: fieldPath(fieldPath('instances', first), field), message });
    }
    for (const w of walk) state.set(w, 2);
  }
  return out;
}
