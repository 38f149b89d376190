// Shared inputs for the import tests: the fixture folder, a hive with the systems the fixtures use, and a
// runner that resolves a config in a folder (messages show paths relative to it, as from a CLI run there).
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeHive } from '../../../../lib/inventory/resolve/resolve.ts';
import type { HiveConfig, ResolvedHive } from '../../../../lib/inventory/types.ts';
import type { Problem } from '../../../../lib/errors.ts';
import { tempDir } from '../../../helpers/tmp.ts';

export const FIXTURES = fileURLToPath(new URL('../../../fixtures/inventory/', import.meta.url));

export function config(extra: Partial<HiveConfig>): HiveConfig {
  return {
    systems: {
      www: { modules: ['./www.nix'] },
      gate: { modules: ['./gate.nix'] },
      db: { modules: ['./db.nix'] },
      cache: { modules: ['./cache.nix'] },
    },
    ...extra,
  };
}

/** A temp folder holding a copy of the fixtures under `inventory/`, plus `files`. */
export function folder(files: Record<string, string> = {}): string {
  const dir = tempDir('nix-hive-import-');
  cpSync(FIXTURES, path.join(dir, 'inventory'), { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** Resolves `c` as `<dir>/hive.config.ts`, with `dir` as the working folder; problems as printed lines. */
export function resolveIn(
  dir: string,
  c: HiveConfig,
): { hive: ResolvedHive; lines: string[]; problems: Problem[] } {
  const before = process.cwd();
  process.chdir(dir);
  try {
    const { hive, problems } = analyzeHive(c, path.join(dir, 'hive.config.ts'));
    return { hive, problems, lines: problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)) };
  } finally {
    process.chdir(before);
  }
}

/** `name system address tags via` per instance, for compact assertions. */
export function summary(hive: ResolvedHive): string[] {
  return Object.values(hive.instances).map((i) =>
    [i.name, i.system, i.address, i.tags.join(',') || '-', i.via ?? '-'].join(' '),
  );
}
