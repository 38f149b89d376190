// `nix-hive ssh <instance> [-- command…]`: a shell (or one command) on an instance through the generated
// config, jump hosts and pinned keys included; ssh's exit code is passed through (255 when ssh itself failed).
import type { Command } from 'commander';
import { loadHive } from '../../inventory/index.ts';
import { Host } from '../../host/host.ts';
import { openSshSession } from '../../ssh/session.ts';
import { SshError } from '../../ssh/failure.ts';
import { addConfigOption, type ConfigOptions } from '../options.ts';
import { instanceNamed, printSshError, withChildOwningSignals } from './ssh-shared.ts';

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
  cmd.action(async (name: string, command: string[], flags: SshFlags) => {
    const hive = await loadHive(flags.config);
    const instance = instanceNamed(hive, name);
    const session = await openSshSession(hive, { interactive: true });
    try {
      await session.connect(instance.name);
      const host = new Host(instance, session);
      process.exitCode = await withChildOwningSignals(() => host.interactive(command, { tty: flags.tty }));
    } catch (e) {
      if (!(e instanceof SshError)) throw e;
      printSshError(e);
      process.exitCode = 255;
    } finally {
      await session.close();
    }
  });
}
