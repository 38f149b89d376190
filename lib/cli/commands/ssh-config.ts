// `nix-hive ssh-config [-c config]`: prints the generated ssh_config (or, with --known-hosts, the known_hosts
// it names), for use with `ssh -F` or an Include from ~/.ssh/config.
import path from 'node:path';
import type { Command } from 'commander';
import { loadHive } from '../../inventory/index.ts';
import { renderKnownHosts, renderSshConfig } from '../../ssh/config.ts';
import { addConfigOption, type ConfigOptions } from '../options.ts';

interface SshConfigFlags extends ConfigOptions {
  knownHosts?: boolean;
  knownHostsFile?: string;
  controlDir?: string;
  include: boolean;
  batch?: boolean;
}

export function registerSshConfig(program: Command): void {
  const cmd = program
    .command('ssh-config')
    .description('print the ssh_config generated from the inventory (use it with ssh -F, or Include it)')
    .option('--known-hosts', 'print the known_hosts with the pinned host keys instead')
    .option(
      '--known-hosts-file <path>',
      'the known_hosts file the config names (default: .hive/known_hosts beside the config)',
    )
    .option('--control-dir <dir>', 'share one connection per host, with sockets in this (existing) folder')
    .option('--no-include', 'leave out the Include of ~/.ssh/config (when you Include this file from it)')
    .option('--batch', 'BatchMode yes: never prompt');
  addConfigOption(cmd);
  cmd.action(async (flags: SshConfigFlags) => {
    const hive = await loadHive(flags.config);
    if (flags.knownHosts) {
      process.stdout.write(renderKnownHosts(hive));
      return;
    }
    process.stdout.write(
      renderSshConfig(hive, {
        knownHostsFile: path.resolve(flags.knownHostsFile ?? path.join(hive.root, '.hive', 'known_hosts')),
        controlDir: flags.controlDir ? path.resolve(flags.controlDir) : null,
        userConfig: flags.include ? undefined : null,
        batchMode: Boolean(flags.batch),
      }),
    );
  });
}
