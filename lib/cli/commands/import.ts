// `nix-hive import <file> [--format …] [-o inventory/x.yaml]`: reads a terraform/pulumi output, a terraform
// state or a plain inventory file, and writes the normalised YAML (with a `$schema` line) to commit and edit.
// Sensitive outputs are written only when named in --outputs (they are then the instance data); the file is
// then created with mode 0600 and a note says so. Messages never show their values.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  fstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { InputError, inputError } from '../../errors.ts';
import type { InventoryFormat, InventorySource } from '../../inventory/types.ts';
import { importInventoryFile } from '../../inventory/import/import-file.ts';
import { inventoryYaml } from '../../inventory/import/inventory-yaml.ts';
import { didYouMean } from '../../inventory/validate/did-you-mean.ts';
import { inventoryFormats } from '../../inventory/import/schema-facts.ts';
import { convertSeedHive } from '../../inventory/import/seed-import.ts';
import { isSeedFile } from '../../inventory/load/seed-format.ts';

const SCHEMA = fileURLToPath(new URL('../../../schema/inventory.schema.json', import.meta.url));

interface ImportFlags {
  format: string;
  outputs?: string;
  resources?: string;
  nameTag?: string;
  systemTag?: string;
  tagsTag?: string;
  addressFrom?: string;
  out?: string;
}

const list = (v: string | undefined) =>
  v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');

export function registerImport(program: Command): void {
  program
    .command('import')
    .description(
      'convert a terraform/pulumi output, terraform state or inventory file to inventory YAML, or a nix-hive 0.1 hive.nix to hive.config.ts',
    )
    .argument(
      '<file>',
      'the file: `terraform output -json`, `terraform show -json`, `pulumi stack output --json`, YAML or JSON',
    )
    .option('--format <format>', `one of ${inventoryFormats().join(', ')}`, 'auto')
    .option(
      '--outputs <names>',
      'outputs holding instances, a comma list (default: the instance-shaped, non-sensitive ones)',
    )
    .option(
      '--resources <patterns>',
      'state: resource addresses to import, a comma list (`*` matches anything)',
    )
    .option('--name-tag <tag>', 'state: the tag holding the instance name (default HiveName)')
    .option('--system-tag <tag>', 'state: the tag holding the system (default HiveSystem)')
    .option('--tags-tag <tag>', 'state: the tag holding the instance tags (default HiveTags)')
    .option('--address-from <attrs>', 'state: attributes holding the address, a comma list, first set wins')
    .option('-o, --out <file>', 'write the YAML to this file (default: stdout)')
    .action(async (file: string, flags: ImportFlags) => {
      if (isSeedFile(file)) return importSeed(file, flags.out);
      const formats = inventoryFormats();
      if (!(formats as string[]).includes(flags.format))
        throw inputError(
          '--format',
          `unknown format "${flags.format}"${didYouMean(flags.format, formats) || `; expected one of ${formats.join(', ')}`}`,
        );
      const source: InventorySource = { files: file, format: flags.format as InventoryFormat };
      const options = {
        outputs: list(flags.outputs),
        resources: list(flags.resources),
        nameTag: flags.nameTag,
        systemTag: flags.systemTag,
        tagsTag: flags.tagsTag,
        addressFrom: list(flags.addressFrom),
      };
      for (const [k, v] of Object.entries(options)) if (v !== undefined) Object.assign(source, { [k]: v });
      const result = importInventoryFile(path.resolve(file), file, source);
      if (result.problems.length > 0) throw new InputError(result.problems);
      const out = flags.out === undefined ? undefined : path.resolve(flags.out);
      // Relative to the folder the YAML lands in: `-o`'s, or the file stdout is redirected to; else absolute.
      const folder = out ? path.dirname(out) : stdoutFolder();
      const schema = folder ? path.relative(folder, SCHEMA).split(path.sep).join('/') : SCHEMA;
      const yaml = inventoryYaml(result.instances, {
        schema,
        header: [`Imported by nix-hive from ${path.basename(file)} (${result.format}).`],
      });
      const sensitive = result.instances.some((i) => i.sensitive);
      if (out) {
        mkdirSync(path.dirname(out), { recursive: true });
        if (sensitive) writePrivate(out, yaml);
        else writeFileSync(out, yaml);
        process.stderr.write(`nix-hive: wrote ${result.instances.length} instances to ${flags.out}\n`);
      } else process.stdout.write(yaml);
      if (sensitive)
        process.stderr.write(
          `nix-hive: note: some instances come from sensitive values${out ? ' (the file has mode 0600)' : ''}; keep them private\n`,
        );
    });
}

/**
 * Writes `text` as a new file of mode 0600 beside `file`, then renames it over `file`: the bytes are never
 * under another mode, nor readable through a descriptor someone opened on the old file.
 */
function writePrivate(file: string, text: string): void {
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** The folder of the file stdout is redirected to (`import x > inventory/web.yaml`); undefined for a pipe or tty. */
function stdoutFolder(): string | undefined {
  try {
    if (!fstatSync(1).isFile()) return undefined;
    const file = readlinkSync('/proc/self/fd/1');
    return path.isAbsolute(file) ? path.dirname(file) : undefined;
  } catch {
    return undefined;
  }
}

/** A seed-format hive.nix → hive.config.ts, with one module file per system kept by path. */
async function importSeed(file: string, out: string | undefined): Promise<void> {
  const target = path.resolve(out ?? 'hive.config.ts');
  const converted = await convertSeedHive(path.resolve(file), target);
  if (out === undefined) {
    process.stdout.write(converted.config);
    if (converted.modules.length > 0)
      process.stderr.write('nix-hive: the modules it names are written only with -o <file>\n');
    return;
  }
  mkdirSync(path.dirname(target), { recursive: true });
  for (const m of converted.modules) {
    mkdirSync(path.dirname(m.file), { recursive: true });
    writeFileSync(m.file, m.text);
  }
  writeFileSync(target, converted.config);
  process.stderr.write(
    `nix-hive: wrote ${out} and ${converted.modules.length} module(s) under ${path.join(path.dirname(out), 'modules')}\n`,
  );
}
