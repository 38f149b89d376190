// Commands that read what a diff compares (pure argv, fixed script text; paths are arguments): a running
// system and the boot parts of the booted one, a closure with the NAR size of each path, which paths of a
// closure a store lacks, and the boot parts of a new system read here.
import { BOOT_PARTS, type BootPart, type SizedPath } from '../diff/types.ts';

/** Prints, one line each: the kernel, initrd and kernel-modules paths under `$1`, then its kernel-params. */
const BOOT_PARTS_SH = [
  'for f in kernel initrd kernel-modules; do readlink -e "$1/$f" || echo; done',
  'if [ -r "$1/kernel-params" ]; then tr -s "\\n" " " < "$1/kernel-params"; fi; echo',
].join('\n');

/** On an instance: /run/current-system's path (or an empty line), then the boot parts of /run/booted-system. */
export function instanceReadingArgv(): string[] {
  return [
    'sh',
    '-c',
    `readlink -e /run/current-system || echo\nset -- /run/booted-system\n${BOOT_PARTS_SH}`,
    'nix-hive-diff-read',
  ];
}

/** The boot parts of a system (`systemPath`), read where the system is. */
export function bootPartsArgv(systemPath: string): string[] {
  return ['sh', '-c', BOOT_PARTS_SH, 'nix-hive-boot-parts', systemPath];
}

export function parseInstanceReading(stdout: string): {
  running: string | null;
  booted: Record<BootPart, string>;
} {
  const [running = '', ...rest] = stdout.split('\n');
  return { running: running.trim() || null, booted: parseBootParts(rest.join('\n')) };
}

export function parseBootParts(stdout: string): Record<BootPart, string> {
  const lines = stdout.split('\n');
  return Object.fromEntries(BOOT_PARTS.map((p, i) => [p, (lines[i] ?? '').trim()])) as Record<
    BootPart,
    string
  >;
}

/**
 * The closure of `$1` with NAR sizes (paths, `--`, sizes in the same order), then `--` and those of the paths on
 * stdin that the store lacks (none on stdin: none listed). `nix-store` works on Nix 2.8 to Lix alike.
 */
export function closureArgv(storePath: string): string[] {
  return [
    'sh',
    '-c',
    [
      'set -e',
      'p=$(nix-store --query --requisites "$1")',
      'printf "%s\\n" "$p"',
      'echo --',
      'printf "%s\\n" "$p" | xargs nix-store --query --size',
      'echo --',
      'xargs -r nix-store --check-validity --print-invalid',
    ].join('\n'),
    'nix-hive-closure',
    storePath,
  ];
}

export function parseClosure(stdout: string): { closure: SizedPath[]; missing: string[] } {
  const [paths = '', sizes = '', missing = ''] = stdout.split(/^--$/m);
  const p = paths.split('\n').filter((l) => l.startsWith('/'));
  const s = sizes
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (p.length !== s.length)
    throw new Error(`closure listing is malformed (${p.length} paths, ${s.length} sizes)`);
  return {
    closure: p.map((path, i) => ({ path, narSize: Number(s[i]) })),
    missing: missing.split('\n').filter((l) => l.startsWith('/')),
  };
}
