// `nix-hive ssh-config [-c config]`: prints the generated ssh_config (or, with --known-hosts, the known_hosts
// it names), ready for `ssh -F` as it is: the known_hosts file it names is written beside it (when a host key
// is pinned), and the user's ~/.ssh/config and the system's /etc/ssh/ssh_config, which `-F` drops, are included.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { inputError } from '../../errors.ts';
import { loadHive } from '../../inventory/index.ts';
import { pinnedKeys } from '../../ssh/host-keys.ts';
import { renderKnownHosts, renderSshConfig, SSH_DEFAULTS } from '../../ssh/config.ts';
import { errnoText } from '../../state/store.ts';
import { addConfigOption, type ConfigOptions } from '../options.ts';

const SYSTEM_CONFIG = '/etc/ssh/ssh_config';

interface SshConfigFlags extends ConfigOptions {
  knownHosts?: boolean;
  knownHostsFile?: string;
  controlDir?: string;
  include: boolean;
  batch?: boolean;
}

/** Writes the known_hosts the config names, unless it already holds exactly that. Returns whether it wrote. */
async function writeKnownHosts(file: string, text: string, flag: string): Promise<boolean> {
  if ((await readFile(file, 'utf8').catch(() => undefined)) === text) return false;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text, { mode: 0o644 });
  } catch (e) {
    throw inputError(flag, `cannot write ${file}: ${errnoText(e)}`);
  }
  return true;
}

export function registerSshConfig(program: Command): void {
  const cmd = program
    .command('ssh-config')
    .description('print the ssh_config generated from the inventory (use it with ssh -F, or Include it)')
    .option('--known-hosts', 'print the known_hosts with the pinned host keys instead')
    .option(
      '--known-hosts-file <path>',
      'the known_hosts file the config names, written with the pinned keys (default: .hive/known_hosts beside the config)',
    )
    .option('--control-dir <dir>', 'share one connection per host, with sockets in this (existing) folder')
    .option(
      '--no-include',
      `leave out the Include of ~/.ssh/config and ${SYSTEM_CONFIG} (when you Include this file from yours)`,
    )
    .option('--batch', 'BatchMode yes: never prompt');
  addConfigOption(cmd);
  cmd.action(async (flags: SshConfigFlags) => {
    const hive = await loadHive(flags.config);
    if (flags.knownHosts) {
      process.stdout.write(renderKnownHosts(hive));
      return;
    }
    const knownHostsFile = path.resolve(flags.knownHostsFile ?? path.join(hive.root, '.hive', 'known_hosts'));
    const text = renderSshConfig(hive, {
      knownHostsFile,
      controlDir: flags.controlDir ? path.resolve(flags.controlDir) : null,
      userConfig: flags.include ? SSH_DEFAULTS.userConfig : null,
      systemConfig: flags.include ? SYSTEM_CONFIG : null,
      batchMode: Boolean(flags.batch),
    });
    if ([...pinnedKeys(hive).values()].some((keys) => keys.length > 0)) {
      const flag = flags.knownHostsFile ? '--known-hosts-file' : 'known_hosts';
      if (await writeKnownHosts(knownHostsFile, renderKnownHosts(hive), flag))
        process.stderr.write(`nix-hive: wrote ${knownHostsFile} (the pinned host keys this config names)\n`);
    }
    process.stdout.write(text);
  });
}
