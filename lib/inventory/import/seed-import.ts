// `nix-hive import hive.nix -o hive.config.ts`: a seed-format (nix-hive 0.1) hive as a hive.config.ts.
// The facts become the config (ssh Hostname/ProxyJump/User/Port → address/via/user/port, store =
// "ssh://<instance>" → that instance); each system's `configuration` is kept by path: a small module file
// per system that imports it from the seed file, so the two cannot drift apart until the user moves it.
import path from 'node:path';
import { InputError } from '../../errors.ts';
import { analyzeHive } from '../resolve/resolve.ts';
import { readSeedFacts, seedToConfig } from '../load/seed-format.ts';
import { isDict } from '../validate/guards.ts';

export interface ConvertedHive {
  /** The hive.config.ts text. */
  config: string;
  /** Module files to write beside it: path (absolute) → text. */
  modules: Array<{ file: string; text: string }>;
}

const rel = (from: string, to: string) => {
  const r = path.relative(from, to).split(path.sep).join('/');
  return r.startsWith('.') ? r : `./${r}`;
};

export async function convertSeedHive(seedFile: string, outFile: string): Promise<ConvertedHive> {
  const facts = await readSeedFacts(seedFile);
  const config = seedToConfig(facts) as Record<string, unknown>;
  const outDir = path.dirname(outFile);
  const modules: ConvertedHive['modules'] = [];
  const systems = isDict(config.systems) ? config.systems : {};
  for (const [name, s] of Object.entries(systems)) {
    const file = path.join(outDir, 'modules', `${name}.nix`);
    const from = rel(path.dirname(file), seedFile);
    modules.push({
      file,
      text: [
        `# systems.${name}.configuration of ${path.basename(seedFile)} (nix-hive 0.1), kept by path:`,
        '# edit it there, or move the module into this file.',
        'let',
        `  hive = import ${from};`,
        '  h = if builtins.isFunction hive then hive { } else hive;',
        'in',
        `h.systems.${JSON.stringify(name)}.configuration`,
        '',
      ].join('\n'),
    });
    systems[name] = { ...(s as object), modules: [rel(outDir, file)] };
  }
  const { problems } = analyzeHive(config, outFile);
  if (problems.length > 0) throw new InputError(problems);
  const text = [
    `// Converted by nix-hive from ${path.basename(seedFile)} (the nix-hive 0.1 format).`,
    "import { defineHive } from 'nix-hive';",
    '',
    `export default defineHive(${JSON.stringify(config, null, 2)});`,
    '',
  ].join('\n');
  return { config: text, modules };
}
