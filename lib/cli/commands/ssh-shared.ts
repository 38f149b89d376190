// What the ssh, scp and run commands share at the CLI edge: naming an instance (exit 2 when unknown) and
// printing an ssh failure with its hint.
import type { ResolvedHive, ResolvedInstance } from '../../inventory/types.ts';
import { inputError } from '../../errors.ts';
import { didYouMean } from '../../inventory/did-you-mean.ts';
import type { SshError } from '../../ssh/failure.ts';

export function instanceNamed(hive: ResolvedHive, name: string, path = 'instance'): ResolvedInstance {
  const inst = hive.instances[name];
  if (inst) return inst;
  throw inputError(path, `unknown instance "${name}"${didYouMean(name, Object.keys(hive.instances))}`);
}

export function printSshError(e: SshError): void {
  process.stderr.write(`nix-hive: ${e.message}\n`);
  if (e.hint) process.stderr.write(`nix-hive: hint: ${e.hint}\n`);
}
