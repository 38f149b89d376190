// `nix-hive keygen [name]`: writes a signing key pair with nix-store and prints the public key line
// every instance must trust. Never overwrites an existing key.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { chmod, mkdir, open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { inputError } from '../../errors.ts';
import { checked, spawnProcess } from '../../exec/spawn.ts';
import { generateKeyArgv } from '../../nix/argv.ts';
import { readFile } from 'node:fs/promises';
import { errnoText } from '../../state/store.ts';

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description(
      'write a signing key pair (<dir>/<name>.sec, <name>.pub) and print the line instances must trust',
    )
    .argument('[name]', 'key name, e.g. hive-1 (Nix puts it in front of every signature)', 'hive-1')
    .option('-d, --dir <dir>', 'folder for the key files', 'keys')
    .action(async (name: string, flags: { dir: string }) => {
      if (!KEY_NAME.test(name))
        throw inputError('name', `"${name}" is not a valid key name (letters, digits, . _ -)`);
      const secret = path.resolve(flags.dir, `${name}.sec`);
      const pub = path.resolve(flags.dir, `${name}.pub`);
      for (const f of [secret, pub])
        if (existsSync(f)) throw inputError('name', `${f} already exists; not overwriting a key`);
      await writableFolder(path.dirname(secret));
      const argv = generateKeyArgv(name, secret, pub);
      await checked(spawnProcess, argv.command, argv.args, { what: 'nix-store --generate-binary-cache-key' });
      await chmod(secret, 0o600);
      const line = (await readFile(pub, 'utf8')).trim();
      process.stderr.write(`nix-hive: wrote ${secret} (secret, keep it private) and ${pub}\n`);
      process.stderr.write(
        `nix-hive: set signingKey: '${path.relative(process.cwd(), secret)}' and trust the key on every instance:\n`,
      );
      process.stdout.write(`trusted-public-keys = ${line}\n`);
    });
}

/**
 * Makes the key folder and proves a file can be created in it, before nix-store runs: an unwritable folder,
 * or one such as /proc where files cannot be made, is one line naming `--dir` and the errno (exit 2).
 */
async function writableFolder(dir: string): Promise<void> {
  const probe = path.join(dir, `.nix-hive-keygen-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true });
    await (await open(probe, 'wx', 0o600)).close();
    await unlink(probe);
  } catch (e) {
    throw inputError('--dir', `cannot write key files in ${dir}: ${errnoText(e)}`);
  }
}
