// Text of the files each host gets: its sshd_config, its nix.conf, and the known_hosts lines that pin
// every host's key at each of its addresses.

export interface KnownHost {
  name: string;
  addresses: string[];
  hostKey: string;
}

/**
 * sshd_config for one host: pubkey-only root login, no PAM, VERBOSE log so accepted connections are
 * countable. `extra` lines come first: sshd keeps a keyword's first value, so they override the defaults.
 */
export function sshdConfig(hostKeyPath: string, extra?: string): string {
  return [
    '# written by the nix-hive test fleet',
    ...(extra ? [extra.trimEnd()] : []),
    'Port 22',
    'AddressFamily inet',
    `HostKey ${hostKeyPath}`,
    'PidFile /run/sshd.pid',
    'LogLevel VERBOSE',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'AuthenticationMethods publickey',
    'AuthorizedKeysFile /root/.ssh/authorized_keys',
    'StrictModes yes',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'X11Forwarding no',
    'AllowTcpForwarding yes',
    'PermitUserEnvironment no',
    'MaxStartups 200:30:400',
    'MaxSessions 100',
    'ClientAliveInterval 0',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    '',
  ].join('\n');
}

/**
 * sshd_config of a NixOS-like host: like sshdConfig, but with PAM (each login gets a logind session, as
 * NixOS's sshd has: nixos/modules/services/networking/ssh/sshd.nix sets `UsePAM yes`), its host key and log
 * in `dir` (the host's sshd folder as bound inside the container), and with `etcKeys` the keys only in
 * /etc/ssh/authorized_keys.d/%u (NixOS's `services.openssh.authorizedKeysInHomedir = false`).
 */
export function nixosSshdConfig(dir: string, etcKeys: boolean): string {
  return sshdConfig(`${dir}/ssh_host_ed25519_key`)
    .replace('UsePAM no', 'UsePAM yes')
    .replace(
      'AuthorizedKeysFile /root/.ssh/authorized_keys',
      etcKeys
        ? 'AuthorizedKeysFile /etc/ssh/authorized_keys.d/%u'
        : 'AuthorizedKeysFile %h/.ssh/authorized_keys /etc/ssh/authorized_keys.d/%u',
    );
}

/** nix.conf for a host: no sandbox, no substituters unless `extra` says otherwise (later lines win). */
export function hostNixConf(extra: string | undefined): string {
  const lines = [
    '# written by the nix-hive test fleet',
    'sandbox = false',
    'build-users-group =',
    'substituters =',
    'connect-timeout = 5',
  ];
  if (extra) lines.push(extra.trimEnd());
  return `${lines.join('\n')}\n`;
}

/** known_hosts lines: `addr1,addr2 ssh-ed25519 AAAA…` for each host. */
export function knownHosts(hosts: KnownHost[]): string {
  return hosts.map((h) => `${h.addresses.join(',')} ${h.hostKey}\n`).join('');
}
