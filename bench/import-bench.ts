// Section 7 (asked by issue 7): a 5,000-instance `terraform output -json` import, timed. It runs only when
// the import code (lib/inventory/import…) exists; otherwise it says so.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CANDIDATES = ['../lib/inventory/import', '../lib/inventory/import.ts'].map((p) =>
  fileURLToPath(new URL(p, import.meta.url)),
);

export function importBench(): string {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found)
    return 'Skipped: lib/inventory/import does not exist yet (issue 7), so there is no terraform import to time.';
  return `Skipped: ${found} exists, but this bench does not drive it yet.`;
}
