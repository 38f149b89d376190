// Turns paths written in the config into absolute ones: relative to the config's folder, `~/` to the home folder.
import { homedir } from 'node:os';
import path from 'node:path';

/** A URL-like value (`https://…`, `channel:nixos-24.05`, `flake:nixpkgs`) is kept as it is. */
export function isUrlLike(value: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(value);
}

export function resolveFile(root: string, value: string): string {
  if (value === '~') return homedir();
  if (value.startsWith('~/')) return path.join(homedir(), value.slice(2));
  return path.resolve(root, value);
}

/** A search-path value: URLs and `<…>` lookups stay as written, paths become absolute. */
export function resolveSearchPathValue(root: string, value: string): string {
  if (isUrlLike(value) || value.startsWith('<')) return value;
  return resolveFile(root, value);
}

/** ssh_config options whose values are local files; relative ones resolve against the config's folder. */
const FILE_OPTIONS = new Set(['identityfile', 'certificatefile', 'userknownhostsfile']);

export function resolveSshValue(root: string, key: string, value: string | number | boolean) {
  if (typeof value !== 'string' || !FILE_OPTIONS.has(key.toLowerCase())) return value;
  if (value.startsWith('./') || value.startsWith('../') || value.startsWith('~/'))
    return resolveFile(root, value);
  return value;
}

/** The build host's Nix platform, e.g. `x86_64-linux`. */
export function hostPlatform(): string {
  const arch: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', riscv64: 'riscv64' };
  return `${arch[process.arch] ?? process.arch}-${process.platform}`;
}
