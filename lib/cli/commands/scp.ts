// `nix-hive scp <src…> <dst>`: copies files with instance names on either side (`www-1:/var/log/x .`),
// through the generated config, jump hosts and pinned keys included; scp's exit code is passed through.
import type { Command } from 'commander';
import { inputError } from '../../errors.ts';
import type { ResolvedHive } from '../../inventory/types.ts';
import { spawnProcess } from '../../exec/spawn.ts';
import type { ConfigOptions } from '../options.ts';
import { instanceNamed, registerInteractive } from './ssh-shared.ts';

export interface ScpPath {
  /** The instance, for a remote path. */
  instance?: string;
  /** As scp takes it: `www-1:/var/log/x` or a local path. */
  arg: string;
}

/**
 * `name:path` is remote when `name` looks like an instance name; an unknown one is an input error (write `./a:b`
 * for a local file with a colon). `user@name:path` is refused: the inventory says the user.
 */
export function parseScpPath(hive: ResolvedHive, arg: string, index: number): ScpPath {
  const m = /^([^/:]+):/.exec(arg);
  if (!m) return { arg };
  const name = m[1]!;
  if (name.includes('@')) {
    throw inputError(
      `paths.${index}`,
      `"${name}": the user comes from the inventory; write ${name.split('@').pop()}:…`,
    );
  }
  instanceNamed(hive, name, `paths.${index}`);
  return { instance: name, arg };
}

export function registerScp(program: Command): void {
  registerInteractive(
    program
      .command('scp')
      .description('copy files, instance names on either side: nix-hive scp www-1:/var/log/x .')
      .argument('<paths...>', 'sources then the destination; instance:path for a remote one')
      .option('-r, --recursive', 'copy folders')
      .option('-p, --preserve', 'keep times and modes'),
    (hive, flags: ConfigOptions & { recursive?: boolean; preserve?: boolean }, args: string[]) => {
      if (args.length < 2) throw inputError('paths', 'give at least one source and a destination');
      const paths = args.map((a, i) => parseScpPath(hive, a, i));
      return {
        instances: [...new Set(paths.flatMap((p) => (p.instance ? [p.instance] : [])))],
        child: async (session, signal) => {
          const argv = [
            ...session.configArgs,
            ...(flags.recursive ? ['-r'] : []),
            ...(flags.preserve ? ['-p'] : []),
            '--',
            ...paths.map((p) => p.arg),
          ];
          return (await spawnProcess('scp', argv, { stdin: 'inherit', inheritOutput: true, signal }))
            .exitCode;
        },
      };
    },
  );
}
