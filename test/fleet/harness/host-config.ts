// The ssh client config each host gets in /root/.ssh: hosts ssh to each other (substitution from the
// jump host) with the pinned known_hosts only, never by accepting unknown keys.

export function hostKnownHostsConfig(): string {
  return [
    '# written by the nix-hive test fleet',
    'Host *',
    '  StrictHostKeyChecking yes',
    '  UserKnownHostsFile /root/.ssh/known_hosts',
    '  IdentityFile /root/.ssh/id_ed25519',
    '  BatchMode yes',
    '  ConnectTimeout 5',
    '',
  ].join('\n');
}
