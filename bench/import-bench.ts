// Section 7 (asked by issue 7): a 5,000-instance `terraform output -json` import, timed cold with
// benchImport() from bench/import.ts (written with the import code). run.ts never resolves a hive in its
// own process before this, so the schema compile counts as it does for a user.
import { benchImport } from './import.ts';
import { seconds } from './stats.ts';

export interface ImportResult {
  instances: number;
  ms: number;
}

export async function importBench(count = 5000): Promise<{ result: ImportResult; note: string }> {
  const result = await benchImport(count);
  const note =
    `A \`terraform output -json\` file of ${count} instances (plus outputs that are not instances), loaded the way ` +
    `\`loadHive\` does (read, recognise, unwrap, schema and semantic checks, resolve), cold: ` +
    `**${seconds(result.ms)}** for ${result.instances} instances.`;
  return { result, note };
}
