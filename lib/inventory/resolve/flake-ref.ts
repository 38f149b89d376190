// Flake references in the inventory: `<flake-ref>#<name>` names one system, a bare `<flake-ref>` the
// hive's flake. Relative refs (`.`, `./fleet`, `path:./fleet`) resolve against the config's folder;
// other refs (`github:org/fleet`, `git+https://…`) are used as written. The shapes are checked by the
// schema (exit 2 naming the field); these helpers only split and resolve.
import path from 'node:path';

/** A `nixosConfigurations` attribute name nix-hive will put into an installable (quoted when it has dots). */
export const FLAKE_ATTR = /^[A-Za-z0-9_][A-Za-z0-9_.'-]*$/;

export interface FlakeSystemRef {
  /** The flake reference, resolved (absolute when local). */
  ref: string;
  /** The `nixosConfigurations` attribute. */
  attr: string;
}

/** `'./fleet#www'` → `{ ref: '/abs/fleet', attr: 'www' }`; undefined when it is not of that shape. */
export function parseSystemFlake(root: string, value: string): FlakeSystemRef | undefined {
  const i = value.lastIndexOf('#');
  if (i <= 0) return undefined;
  const attr = value.slice(i + 1);
  const ref = value.slice(0, i);
  if (!FLAKE_ATTR.test(attr) || /[\s#]/.test(ref)) return undefined;
  return { ref: resolveFlakeRef(root, ref), attr };
}

/** A local flake ref becomes absolute; everything else stays as written. */
export function resolveFlakeRef(root: string, ref: string): string {
  if (ref === '.' || ref === '..' || ref.startsWith('./') || ref.startsWith('../'))
    return path.resolve(root, ref);
  if (ref.startsWith('path:') && !ref.startsWith('path:/')) {
    const [p, query] = splitQuery(ref.slice('path:'.length));
    return `path:${path.resolve(root, p)}${query}`;
  }
  return ref;
}

/** The folder of a local flake (for fingerprints and the lock check), or undefined for a remote one. */
export function localFlakeDir(ref: string): string | undefined {
  const m = /^(?:path:|git\+file:\/\/)?(\/[^?#]*)/.exec(ref);
  return m ? m[1] : undefined;
}

/** The installable of a system's toplevel: `<ref>#nixosConfigurations.<attr>.config.system.build.toplevel`. */
export function toplevelInstallable(f: FlakeSystemRef): string {
  const attr = f.attr.includes('.') ? `"${f.attr}"` : f.attr;
  return `${f.ref}#nixosConfigurations.${attr}.config.system.build.toplevel`;
}

function splitQuery(v: string): [string, string] {
  const q = v.indexOf('?');
  return q < 0 ? [v, ''] : [v.slice(0, q), v.slice(q)];
}
