// Nix's own error line out of a failed command's stderr, for a one-line failure that names the system.
import type { SpawnResult } from '../exec/spawn.ts';

/** Nix's own error line (`syntax error, unexpected ';'` …), not the `--show-trace` hint after it. */
export function nixMessage(r: SpawnResult): string {
  const lines = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const errors = lines
    .filter((l) => l.startsWith('error:'))
    .map((l) => l.slice('error:'.length).trim())
    .filter(Boolean);
  const at = lines.find((l) => /^at .+:\d+:\d+:?$/.test(l))?.replace(/:$/, '');
  const message =
    errors.pop() ??
    lines.filter((l) => !l.includes('--show-trace')).pop() ??
    `${r.command} exited with code ${r.exitCode}`;
  return at ? `${message} (${at})` : message;
}
