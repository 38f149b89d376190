// A content hash of a file or folder tree, as Nix reads it: symlinks followed (as `import` and `readDir` do),
// names, types, the executable bit and every byte. A path inside /nix/store is named, not read: store paths
// never change. Memoised per hasher, so a run hashes nixpkgs once for all its systems. A tree with more
// than `maxFiles` files is refused (TreeTooBig): a cache key is then not worth its cost.
import { createHash } from 'node:crypto';
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export class TreeTooBig extends Error {}

export interface TreeHasher {
  /** `sha256-…` of the tree at `p` (a missing path has a hash too: its absence). */
  hash(p: string): Promise<string>;
}

const STORE = '/nix/store/';

export function treeHasher(
  opts: { maxFiles?: number; exclude?: (name: string) => boolean } = {},
): TreeHasher {
  const maxFiles = opts.maxFiles ?? 100_000;
  const memo = new Map<string, Promise<string>>();
  const hash = (p: string): Promise<string> => {
    const abs = path.resolve(p);
    let h = memo.get(abs);
    if (!h) {
      h = hashTree(abs, maxFiles, opts.exclude ?? (() => false));
      memo.set(abs, h);
    }
    return h;
  };
  return { hash };
}

async function hashTree(root: string, maxFiles: number, exclude: (name: string) => boolean): Promise<string> {
  const h = createHash('sha256');
  let files = 0;
  const onPath = new Set<string>(); // real folders on the current descent (a symlink loop ends there)
  const walk = async (p: string, rel: string): Promise<void> => {
    let real: string;
    try {
      real = await realpath(p);
    } catch {
      h.update(`${rel}\0missing\0`);
      return;
    }
    if (real === '/nix/store' || real.startsWith(STORE)) {
      h.update(`${rel}\0store\0${real}\0`);
      return;
    }
    const s = await stat(real);
    if (++files > maxFiles) throw new TreeTooBig(`${root} has more than ${maxFiles} files`);
    if (s.isDirectory()) {
      if (onPath.has(real)) {
        h.update(`${rel}\0loop\0`);
        return;
      }
      onPath.add(real);
      const names = (await readdir(real)).filter((n) => !exclude(n)).sort();
      h.update(`${rel}\0dir\0${names.length}\0`);
      for (const n of names) await walk(path.join(real, n), `${rel}/${n}`);
      onPath.delete(real);
    } else if (s.isFile()) {
      h.update(`${rel}\0file\0${s.mode & 0o111 ? 'x' : '-'}\0${s.size}\0`);
      h.update(await readFile(real));
    } else {
      h.update(`${rel}\0other\0`);
    }
  };
  await walk(root, '.');
  return `sha256-${h.digest('base64')}`;
}
