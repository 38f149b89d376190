// Read-only relay access for one run (pure): the child's private folder under /run (its own key pair,
// an ssh_config and a known_hosts pinning its parent's host key from the inventory), the marked
// `authorized_keys` line that lets that key run `nix-store --serve` (no `--write`) on the parent as
// root until it expires, and the fixed shell scripts that install and remove them (data goes in as
// arguments, never into the script text).
import type { ResolvedInstance } from '../inventory/types.ts';
import { pathValue } from './config.ts';
import { parsePublicKey } from './host-keys.ts';

export const RELAY_ROOT = '/run/nix-hive-relay';
/** The alias the child's ssh uses for its parent (Host block and known_hosts name). */
export const RELAY_ALIAS = 'relay-parent';
/** How long a grant is valid if the run never removes it (crash, dead host). */
export const RELAY_GRANT_MINUTES = 30;

const RUN_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function checkRunId(runId: string): string {
  if (!RUN_RE.test(runId)) throw new TypeError(`relay: unusable run id ${JSON.stringify(runId)}`);
  return runId;
}

/** The child's private folder for this run. */
export function relayDir(runId: string): string {
  return `${RELAY_ROOT}/${checkRunId(runId)}`;
}

/** What every authorized_keys line of this run ends with; revoking removes the lines holding it. */
export function relayMarker(runId: string): string {
  return `nix-hive-relay:${checkRunId(runId)}:`;
}

/** `YYYYMMDDHHMMZ`, the UTC form of authorized_keys' expiry-time. */
export function expiryTime(at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}${p(at.getUTCHours())}${p(at.getUTCMinutes())}Z`;
}

/** The parent's line for one child's key: only `nix-store --serve`, no pty or forwarding, expiring. */
export function authorizedLine(publicKey: string, runId: string, child: string, now: Date): string {
  const key = parsePublicKey(publicKey);
  if (!key) throw new TypeError(`relay: ${child} returned no ssh public key`);
  const expiry = expiryTime(new Date(now.getTime() + RELAY_GRANT_MINUTES * 60_000));
  return `restrict,command="nix-store --serve",expiry-time="${expiry}" ${key.type} ${key.blob} ${relayMarker(runId)}${child}`;
}

/** known_hosts of the child: the parent's pinned keys under the alias. */
export function relayKnownHosts(parent: ResolvedInstance): string {
  const lines = parent.hostKeys.map((l) => {
    const key = parsePublicKey(l);
    if (!key) throw new TypeError(`relay: instances.${parent.name}.hostKeys is not an ssh public key`);
    return `${RELAY_ALIAS} ${key.type} ${key.blob}`;
  });
  if (lines.length === 0) throw new TypeError(`relay: ${parent.name} has no pinned host key`);
  return `${lines.join('\n')}\n`;
}

export interface RelaySshOptions {
  connectTimeout: number;
  serverAlive: { interval: number; countMax: number };
}

/** The child's ssh_config for its parent: the run's key only, the pinned host key only, no agent. */
export function relaySshConfig(parent: ResolvedInstance, runId: string, o: RelaySshOptions): string {
  const dir = relayDir(runId);
  return [
    `# nix-hive relay ${runId}: pull from ${parent.name} (read-only); removed after the run`,
    `Host ${RELAY_ALIAS}`,
    `  HostName ${pathValue(parent.address)}`,
    `  Port ${parent.port}`,
    '  User root',
    `  HostKeyAlias ${RELAY_ALIAS}`,
    `  UserKnownHostsFile ${dir}/known_hosts`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  UpdateHostKeys no',
    `  IdentityFile ${dir}/id`,
    '  IdentitiesOnly yes',
    '  IdentityAgent none',
    '  BatchMode yes',
    '  PasswordAuthentication no',
    '  KbdInteractiveAuthentication no',
    '  ForwardAgent no',
    '  ClearAllForwardings yes',
    '  ControlMaster no',
    '  ControlPath none',
    `  ConnectTimeout ${o.connectTimeout}`,
    `  ServerAliveInterval ${o.serverAlive.interval}`,
    `  ServerAliveCountMax ${o.serverAlive.countMax}`,
    '',
  ].join('\n');
}

const PREPARE = [
  'set -eu',
  'umask 077',
  `mkdir -p ${RELAY_ROOT}`,
  `chmod 700 ${RELAY_ROOT}`,
  `d=${RELAY_ROOT}/$1`,
  'rm -rf "$d"',
  'mkdir "$d"',
  'printf "%s" "$2" > "$d/known_hosts"',
  'printf "%s" "$3" > "$d/ssh_config"',
  'ssh-keygen -q -t ed25519 -N "" -C "nix-hive-relay:$1" -f "$d/id" > /dev/null',
  'cat "$d/id.pub"',
].join('\n');

const CLEAR = [`rm -rf ${RELAY_ROOT}/"$1"`, `rmdir ${RELAY_ROOT} 2> /dev/null || true`].join('\n');

const GRANT = [
  'set -eu',
  'umask 077',
  'h=~root',
  'mkdir -p "$h/.ssh"',
  'f="$h/.ssh/authorized_keys"',
  // A last line without its newline would swallow ours.
  'if [ -s "$f" ] && [ -n "$(tail -c 1 "$f")" ]; then echo >> "$f"; fi',
  'printf "%s\\n" "$1" >> "$f"',
].join('\n');

const REVOKE = [
  'set -eu',
  'f=~root/.ssh/authorized_keys',
  '[ -f "$f" ] || exit 0',
  'grep -qF -e "$1" "$f" || exit 0',
  't=$(mktemp "$f.XXXXXX")',
  'grep -vF -e "$1" "$f" > "$t" || true',
  'chmod 600 "$t"',
  'mv -f "$t" "$f"',
].join('\n');

/** Run on the child: make the private folder and key pair; prints the public key. */
export function prepareChildArgv(runId: string, knownHosts: string, sshConfig: string): string[] {
  return ['sh', '-c', PREPARE, 'nix-hive-relay', checkRunId(runId), knownHosts, sshConfig];
}

/** Run on the child: remove its folder (the private key with it). */
export function clearChildArgv(runId: string): string[] {
  return ['sh', '-c', CLEAR, 'nix-hive-relay', checkRunId(runId)];
}

/** Run on the parent as root: append one authorized_keys line. */
export function grantArgv(line: string): string[] {
  if (/[\r\n\0]/.test(line)) throw new TypeError('relay: an authorized_keys line must be one line');
  return ['sh', '-c', GRANT, 'nix-hive-relay', line];
}

/** Run on the parent as root: remove every line of this run. */
export function revokeArgv(runId: string): string[] {
  return ['sh', '-c', REVOKE, 'nix-hive-relay', relayMarker(runId)];
}
