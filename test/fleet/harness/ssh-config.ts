// A minimal ssh_config for the harness's own tests: pinned known_hosts (StrictHostKeyChecking yes, never
// no), the fleet's client key, and ProxyJump through the jump host for hosts only on the internal network.
import { writeFile } from 'node:fs/promises';

export interface SshConfigHost {
  name: string;
  publicAddress?: string;
  internalAddress?: string;
}

export interface SshConfigInput {
  hosts: Record<string, SshConfigHost>;
  clientKey: string;
  knownHosts: string;
}

export interface SshConfigOptions {
  /** Multiplex connections; control sockets go under this folder (keep it short: 108-byte socket paths). */
  controlDir?: string;
  /** The jump host for internal-only hosts; default: the first host with both legs. */
  jump?: string;
}

export function sshConfigText(fleet: SshConfigInput, options: SshConfigOptions = {}): string {
  const hosts = Object.values(fleet.hosts);
  const jump = options.jump ?? hosts.find((h) => h.publicAddress && h.internalAddress)?.name;
  const out: string[] = ['# written by the nix-hive test fleet'];
  for (const h of hosts) {
    out.push(`Host ${h.name}`);
    if (h.publicAddress) {
      out.push(`  HostName ${h.publicAddress}`);
    } else {
      out.push(`  HostName ${h.internalAddress}`);
      if (jump) out.push(`  ProxyJump ${jump}`);
    }
  }
  out.push(
    'Host *',
    '  User root',
    `  IdentityFile ${fleet.clientKey}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${fleet.knownHosts}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  UpdateHostKeys no',
    '  BatchMode yes',
    '  ConnectTimeout 5',
    '  LogLevel ERROR',
  );
  if (options.controlDir) {
    out.push('  ControlMaster auto', `  ControlPath ${options.controlDir}/%C`, '  ControlPersist 60');
  }
  return `${out.join('\n')}\n`;
}

/** Writes the ssh_config to `path` and returns `path`. */
export async function writeSshConfig(
  fleet: SshConfigInput,
  path: string,
  options: SshConfigOptions = {},
): Promise<string> {
  await writeFile(path, sshConfigText(fleet, options));
  return path;
}
