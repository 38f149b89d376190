// What the ssh, scp and run commands share at the CLI edge: naming an instance (exit 2 when unknown) and
// running an interactive child while it owns Ctrl-C (the whole action of ssh and scp: registerInteractive).
import type { Command } from 'commander';
import type { ResolvedHive, ResolvedInstance } from '../../inventory/types.ts';
import { inputError } from '../../errors.ts';
import { loadHive } from '../../inventory/index.ts';
import { didYouMean } from '../../inventory/validate/did-you-mean.ts';
import { openSshSession, type SshSession } from '../../ssh/session.ts';
import { act, type Outcome } from '../outcome.ts';
import { addConfigOption, type ConfigOptions } from '../options.ts';

export function instanceNamed(hive: ResolvedHive, name: string, path = 'instance'): ResolvedInstance {
  const inst = hive.instances[name];
  if (inst) return inst;
  throw inputError(path, `unknown instance "${name}"${didYouMean(name, Object.keys(hive.instances))}`);
}

/**
 * Runs `fn` while the terminal belongs to the child (ssh, scp). Like a shell, we ignore SIGINT meanwhile: the
 * child gets Ctrl-C itself (or passes it on to the remote side). SIGTERM and SIGHUP (a closed terminal, a
 * dropped session to this machine) end the child through `signal`, so the caller still closes the session:
 * no ControlMaster, `ssh -W` jump process or session folder is left.
 */
export async function withChildOwningSignals<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ended = new AbortController();
  const ignore = () => {};
  const end = () => ended.abort();
  process.on('SIGINT', ignore);
  process.on('SIGTERM', end);
  process.on('SIGHUP', end);
  try {
    return await fn(ended.signal);
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', end);
    process.off('SIGHUP', end);
  }
}

/**
 * The shape of an interactive command: open a session, connect the named instances (jump hosts first),
 * run `fn` while the terminal belongs to the child, and return the child's own exit code (129 when SIGHUP
 * or SIGTERM ended it). When ssh itself fails, its SshError ends the run (255, as ssh(1)). The session is
 * closed in every case.
 */
export async function runInteractive(
  hive: ResolvedHive,
  instances: string[],
  fn: (session: SshSession, signal: AbortSignal) => Promise<number>,
): Promise<Outcome> {
  let session: SshSession | undefined;
  try {
    return await withChildOwningSignals(async (signal): Promise<Outcome> => {
      const s = (session = await openSshSession(hive, { interactive: true }));
      for (const name of instances) await s.connect(name, { signal });
      const code = await fn(s, signal);
      return { child: signal.aborted ? 129 : code };
    });
  } finally {
    await session?.close();
  }
}

/** What an interactive command runs: the instances to connect first, then the child that owns the terminal. */
export interface Interactive {
  instances: string[];
  child: (session: SshSession, signal: AbortSignal) => Promise<number>;
}

/**
 * Completes an interactive command (ssh, scp) given its name, operands and own options: adds `-c`, and its
 * action loads the hive, asks `start` (given the flags and the operands, in order) what to connect and run,
 * and runs it (runInteractive); the child's exit code is the outcome.
 */
export function registerInteractive<F extends ConfigOptions, A extends unknown[]>(
  cmd: Command,
  start: (hive: ResolvedHive, flags: F, ...operands: A) => Interactive,
): void {
  addConfigOption(cmd);
  cmd.action(
    act(async () => {
      const flags = cmd.opts<F>();
      const hive = await loadHive(flags.config);
      const { instances, child } = start(hive, flags, ...(cmd.processedArgs as A));
      return runInteractive(hive, instances, child);
    }),
  );
}
