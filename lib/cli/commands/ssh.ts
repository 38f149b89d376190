// `nix-hive ssh <instance> [-- command…]`: a shell (or one command) on an instance through the generated
// config, jump hosts and pinned keys included; ssh's exit code is passed through (255 when ssh itself failed).
import type { Command } from 'commander';
import { loadHive } from '../../inventory/index.ts';
import { Host } from '../../host/host.ts';
import { act } from '../outcome.ts';
import { addConfigOption, type ConfigOptions } from '../options.ts';
import { instanceNamed, runInteractive } from './ssh-shared.ts';

interface SshFlags extends ConfigOptions {
  tty?: boolean;
}

export function registerSsh(program: Command): void {
  const cmd = program
    .command('ssh')
    .description('open a shell on an instance, or run one command: nix-hive ssh www-2 -- uptime')
    .argument('<instance>', 'the instance name')
    .argument('[command...]', 'a command to run instead of a shell (put it after --)')
    .option('-t, --tty', 'give the command a terminal (ssh -t)');
  addConfigOption(cmd);
  cmd.action(
    act(async (name: string, command: string[], flags: SshFlags) => {
      const hive = await loadHive(flags.config);
      const instance = instanceNamed(hive, name);
      return runInteractive(hive, [instance.name], (session, signal) =>
        new Host(instance, session).interactive(command, { tty: flags.tty, signal }),
      );
    }),
  );
}
