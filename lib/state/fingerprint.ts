// A system's fingerprint: a hash of its inputs as far as nix-hive can know them without evaluating:
// the config entry, the search path, and the module files with every file they reach through
// relative path literals (`./nginx.nix`, `../common`). Search-path trees themselves (nixpkgs) are
// named, not hashed: pin them by path or URL. A flake system hashes its flake.nix and flake.lock (and
// what flake.nix reaches); a seed-format system hashes the hive file.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedSystem } from '../inventory/types.ts';
import { localFlakeDir } from '../inventory/flake-ref.ts';

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
    if (file.endsWith('.nix')) queue.push(...nixPathLiterals(content.toString('utf8'), file));
  }
  return `sha256-${h.digest('base64')}`;
}
