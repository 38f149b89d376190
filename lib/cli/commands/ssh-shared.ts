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

/**
 * Runs `fn` while Ctrl-C belongs to the child (ssh, scp): like a shell, we ignore SIGINT/SIGTERM meanwhile, the
 * child gets them itself and exits, and the caller still closes the session afterwards.
 */
export async function withChildOwningSignals<T>(fn: () => Promise<T>): Promise<T> {
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  try {
    return await fn();
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', ignore);
  }
}
