// The package diff of two closures, read from store path names the way nvd does: `<hash>-<name>-<version>`
// split like Nix's parseDrvName (the version starts at the first dash not followed by a letter), several
// versions of one name kept apart, and a name whose versions stayed but whose paths changed counted as rebuilt.

/** A store path's name and version (version '' when the name has none). */
export function parseStorePathName(storePath: string): { name: string; version: string } {
  const base = storePath.slice(storePath.lastIndexOf('/') + 1);
  // `<32-char hash>-<rest>`; a name without the hash prefix is taken as is.
  const rest = /^[0-9a-z]{32}-/.test(base) ? base.slice(33) : base;
  for (let i = 0; i < rest.length - 1; i++) {
    if (rest[i] === '-' && !/[a-zA-Z]/.test(rest[i + 1]!)) {
      return { name: rest.slice(0, i), version: rest.slice(i + 1) };
    }
  }
  return { name: rest, version: '' };
}

export interface ChangedPackage {
  name: string;
  /** The versions before and after, each sorted, several when the closure holds several. */
  from: string[];
  to: string[];
}

export interface PackageDiff {
  /** `name-version` (or `name`) of packages only in the new closure. */
  added: string[];
  removed: string[];
  changed: ChangedPackage[];
  /** Names whose versions are the same but whose store paths are not (same name, other hash). */
  rebuilt: string[];
}

function byName(paths: readonly string[]): Map<string, { versions: Set<string>; paths: Set<string> }> {
  const out = new Map<string, { versions: Set<string>; paths: Set<string> }>();
  for (const p of paths) {
    const { name, version } = parseStorePathName(p);
    let e = out.get(name);
    if (!e) out.set(name, (e = { versions: new Set(), paths: new Set() }));
    e.versions.add(version);
    e.paths.add(p);
  }
  return out;
}

const label = (name: string, versions: Iterable<string>) =>
  [...versions].sort().map((v) => (v ? `${name}-${v}` : name));

const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));

/** What changes from the closure `before` to the closure `after` (lists of store paths). */
export function diffPackages(before: readonly string[], after: readonly string[]): PackageDiff {
  const old = byName(before);
  const now = byName(after);
  const diff: PackageDiff = { added: [], removed: [], changed: [], rebuilt: [] };
  for (const [name, n] of now) {
    const o = old.get(name);
    if (!o) diff.added.push(...label(name, n.versions));
    else if (!sameSet(o.versions, n.versions))
      diff.changed.push({ name, from: [...o.versions].sort(), to: [...n.versions].sort() });
    else if (!sameSet(o.paths, n.paths)) diff.rebuilt.push(name);
  }
  for (const [name, o] of old) if (!now.has(name)) diff.removed.push(...label(name, o.versions));
  diff.added.sort();
  diff.removed.sort();
  diff.changed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  diff.rebuilt.sort();
  return diff;
}
