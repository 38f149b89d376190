// What the ssh, scp and run commands share at the CLI edge: naming an instance (exit 2 when unknown) and
// running an interactive child while it owns Ctrl-C.
import type { ResolvedHive, ResolvedInstance } from '../../inventory/types.ts';
import { inputError } from '../../errors.ts';
import { didYouMean } from '../../inventory/did-you-mean.ts';
import { openSshSession, type SshSession } from '../../ssh/session.ts';

export function instanceNamed(hive: ResolvedHive, name: string, path = 'instance'): ResolvedInstance {
  const inst = hive.instances[name];
  if (inst) return inst;
  throw inputError(path, `unknown instance "${name}"${didYouMean(name, Object.keys(hive.instances))}`);
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

/**
 * The shape of an interactive command: open a session, connect the named instances (jump hosts first),
 * run `fn` while Ctrl-C belongs to the child, and set the exit code to the child's own. When ssh itself
 * fails, its SshError ends the run (255, as ssh(1)). The session is closed in every case.
 */
export async function runInteractive(
  hive: ResolvedHive,
  instances: string[],
  fn: (session: SshSession) => Promise<number>,
): Promise<void> {
  const session = await openSshSession(hive, { interactive: true });
  try {
    for (const name of instances) await session.connect(name);
    process.exitCode = await withChildOwningSignals(() => fn(session));
  } finally {
    await session.close();
  }
}
