// A system's fingerprint: a hash of its inputs as far as nix-hive can know them without evaluating:
// the config entry, the search path, and the module files with every file they reach through
// relative path literals (`./nginx.nix`, `../common`). Search-path trees themselves (nixpkgs) are
// named, not hashed: pin them by path or URL. A flake system hashes its flake.nix and flake.lock (and
// what flake.nix reaches); a seed-format system hashes the hive file. The evaluation cache's key
// (evaluationKey) adds what this leaves out: the search path entries' trees, the hive folder's tree, the
// Nix version and the evaluator's environment.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedSystem } from '../inventory/types.ts';
import { localFlakeDir } from '../inventory/resolve/flake-ref.ts';
import { TreeTooBig, type TreeHasher } from './tree-hash.ts';

const PATH_LITERAL = /(?<![\w./-])(\.{1,2}\/[\w.+\-/]*[\w+\-])/g;
const MAX_FILES = 2000;

/** Relative path literals in Nix source, resolved against the file's folder. */
export function nixPathLiterals(source: string, fromFile: string): string[] {
  const noComments = source.replace(/#[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
  const out: string[] = [];
  for (const m of noComments.matchAll(PATH_LITERAL)) out.push(path.resolve(path.dirname(fromFile), m[1]!));
  return out;
}

async function fileOrDefault(p: string): Promise<string | undefined> {
  try {
    const s = await stat(p);
    if (s.isFile()) return p;
    if (s.isDirectory()) {
      const d = path.join(p, 'default.nix');
      return (await stat(d)).isFile() ? d : undefined;
    }
  } catch {
    // gone or unreadable: the hash covers its absence
  }
  return undefined;
}

export async function systemFingerprint(system: ResolvedSystem): Promise<string> {
  return (await readInputs(system)).fingerprint;
}

/** The fingerprint, and every path the walk reached (a folder among them stands for its default.nix). */
async function readInputs(
  system: ResolvedSystem,
): Promise<{ fingerprint: string; reached: string[]; absolute: string[] }> {
  const h = createHash('sha256');
  h.update(
    JSON.stringify({
      name: system.name,
      system: system.system,
      paths: system.paths,
      modules: system.modules,
      flake: system.flake,
      seedFile: system.seedFile,
      build: system.build,
    }),
  );
  const seen = new Set<string>();
  const absolute = new Set<string>();
  // A seed-format hive's file holds the configurations; a local flake's flake.nix and flake.lock pin the rest.
  const flakeDir = system.flake ? localFlakeDir(system.flake.ref) : undefined;
  const flakeFiles = flakeDir ? [path.join(flakeDir, 'flake.nix'), path.join(flakeDir, 'flake.lock')] : [];
  const queue = [...system.modules, ...(system.seedFile ? [system.seedFile] : []), ...flakeFiles];
  while (queue.length > 0 && seen.size < MAX_FILES) {
    const p = queue.shift()!;
    if (seen.has(p)) continue;
    seen.add(p);
    const file = await fileOrDefault(p);
    h.update(`\0${p}\0`);
    if (!file) {
      h.update('<missing>');
      continue;
    }
    const content = await readFile(file);
    h.update(content);
    if (file.endsWith('.nix')) {
      const source = content.toString('utf8');
      queue.push(...nixPathLiterals(source, file));
      for (const a of absolutePathLiterals(source)) absolute.add(a);
    }
  }
  return { fingerprint: `sha256-${h.digest('base64')}`, reached: [...seen], absolute: [...absolute] };
}

const ABSOLUTE_LITERAL = /(?<![\w./'"$}-])(\/[\w.+-]+(?:\/[\w.+-]+)*)/g;

/**
 * Absolute path literals (`/etc/nixos/hardware.nix`) in Nix source, outside comments and strings (a string
 * such as "/run/wrappers" is data, not a file the evaluation reads).
 */
export function absolutePathLiterals(source: string): string[] {
  const code = source
    .replace(/#[^\n]*/g, '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/''[\s\S]*?''/g, "''")
    .replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...code.matchAll(ABSOLUTE_LITERAL)].map((m) => m[1]!).filter((p) => p !== '/');
}

/** What the evaluation cache needs to know beyond a system's own files. */
export interface EvaluationContext {
  /** The hive's folder: its whole tree counts (`.hive`, `.git`, node_modules and hive.state left out). */
  root: string;
  /** The evaluator's version line (`nix-instantiate (Nix) 2.8.0`). */
  nixVersion: string;
  /** The environment the evaluator gets (process env with the run's Nix env over it). */
  env: Record<string, string | undefined>;
  /** nix-hive's own Nix files that evaluate a system. */
  expressionFiles: string[];
  trees: TreeHasher;
}

export type EvaluationKey = { key: string } | { uncacheable: string };

/** Names left out of the hive folder's tree: nix-hive's own output, VCS data, JS dependencies. */
export function notAnInput(name: string): boolean {
  return name === '.hive' || name === '.git' || name === 'node_modules' || name.startsWith('hive.state');
}

/** `p` is inside the hive folder's hashed tree (not under a part of it that is left out). */
function inTree(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return !rel.startsWith('..') && !path.isAbsolute(rel) && !rel.split(path.sep).some(notAnInput);
}

/** A search path or NIX_PATH value Nix would download rather than read. */
function isRemote(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(value) && !value.startsWith('/');
}

/**
 * The evaluation cache's key: equal keys mean the evaluation reads the same bytes, so it yields the same
 * derivation. Coarse by design (any change in the hive's folder or a search path entry's tree counts), so
 * it may evaluate again without need but never reuses a derivation whose inputs changed, within what a
 * file-reading evaluation can see (README, "How the evaluation cache decides").
 */
export async function evaluationKey(system: ResolvedSystem, ctx: EvaluationContext): Promise<EvaluationKey> {
  const inputs = await readInputs(system);
  const h = createHash('sha256');
  const part = (label: string, value: string) => h.update(`${label}\0${value}\0`);
  part('fingerprint', inputs.fingerprint);
  part('nix', ctx.nixVersion);
  for (const f of ctx.expressionFiles) part(f, await ctx.trees.hash(f));
  const env = Object.entries(ctx.env)
    .filter(([k, v]) => v !== undefined && /^NIX/.test(k))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  part('env', JSON.stringify(env));
  try {
    if (system.flake) {
      const dir = localFlakeDir(system.flake.ref);
      if (!dir) return { uncacheable: `its flake ${system.flake.ref} is not a local folder` };
      part('flake', await ctx.trees.hash(dir));
      for (const p of await lockedPathInputs(dir)) part(`input ${p}`, await ctx.trees.hash(p));
    } else {
      const nixPath = (ctx.env.NIX_PATH ?? '').split(':').filter(Boolean);
      const entries = [...system.paths.map(([, v]) => v), ...nixPath.map((e) => e.slice(e.indexOf('=') + 1))];
      for (const v of entries) {
        if (isRemote(v)) return { uncacheable: `search path entry ${v} is downloaded, not read` };
        part(`path ${v}`, await ctx.trees.hash(v));
      }
      part('root', await ctx.trees.hash(ctx.root));
      // Files outside the hive's folder that its modules name: each reached folder or absolute literal's tree.
      for (const p of [...inputs.reached, ...inputs.absolute])
        if (!inTree(ctx.root, p)) part(`tree ${p}`, await ctx.trees.hash(p));
    }
  } catch (e) {
    if (e instanceof TreeTooBig) return { uncacheable: e.message };
    throw e;
  }
  return { key: `sha256-${h.digest('base64')}` };
}

/** Inputs of a flake's lock that are local folders (`type = "path"`): their content is read, not pinned. */
async function lockedPathInputs(dir: string): Promise<string[]> {
  try {
    const lock = JSON.parse(await readFile(path.join(dir, 'flake.lock'), 'utf8')) as {
      nodes?: Record<string, { locked?: { type?: string; path?: string } }>;
    };
    return Object.values(lock.nodes ?? {})
      .map((n) => n.locked)
      .filter((l) => l?.type === 'path' && typeof l.path === 'string')
      .map((l) => path.resolve(dir, l!.path!));
  } catch {
    return []; // no lock yet: flake.nix and the folder's tree decide
  }
}
