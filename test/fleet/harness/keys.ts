// ed25519 key pairs for the harness (host keys and the deployer's client key), made with ssh-keygen.
import { readFile } from 'node:fs/promises';
import { must } from './proc.ts';

/** Generates `path` and `path.pub` without a passphrase and returns the public line without its comment. */
export async function generateKey(path: string, comment: string): Promise<string> {
  await must(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  return publicKeyLine(`${path}.pub`);
}

/** `ssh-ed25519 AAAA…` from a .pub file, comment dropped. */
export async function publicKeyLine(pubPath: string): Promise<string> {
  const fields = (await readFile(pubPath, 'utf8')).trim().split(/\s+/);
  if (fields.length < 2) throw new Error(`fleet: ${pubPath} is not a public key`);
  return `${fields[0]} ${fields[1]}`;
}
