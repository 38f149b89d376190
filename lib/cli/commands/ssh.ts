// `nix-hive ssh <instance> [-- command…]`: a shell (or one command) on an instance through the generated
// config, jump hosts and pinned keys included; ssh's exit code is passed through (255 when ssh itself failed).
import type { Command } from 'commander';
import { Host } from '../../host/host.ts';
import type { ConfigOptions } from '../options.ts';
import { instanceNamed, registerInteractive } from './ssh-shared.ts';

export function registerSsh(program: Command): void {
  registerInteractive(
    program
      .command('ssh')
      .description('open a shell on an instance, or run one command: nix-hive ssh www-2 -- uptime')
      .argument('<instance>', 'the instance name')
      .argument('[command...]', 'a command to run instead of a shell (put it after --)')
      .option('-t, --tty', 'give the command a terminal (ssh -t)'),
    (hive, flags: ConfigOptions & { tty?: boolean }, name: string, command: string[]) => {
      const instance = instanceNamed(hive, name);
      return {
        instances: [instance.name],
        child: (session, signal) =>
          new Host(instance, session).interactive(command, { tty: flags.tty, signal }),
      };
    },
  );
}
