// Host-to-host ssh access for one run (pure), shared by the build host's push and the relay pull: a key
// pair made on the host that connects (the private key never travels), an expiring authorized_keys line on
// the host it reaches, marked with the run so revoking removes exactly the run's lines, and a locked-down
// ssh_config Host block (that key only, pinned host keys only, no agent, no forwarding, no multiplexing).
// The scripts that install and remove them are fixed text; data goes in as positional arguments.
import { pathValue } from './config.ts';
import { parsePublicKey } from './host-keys.ts';

/** How long a grant is valid if the run never removes it (crash, dead host). */
export const GRANT_MINUTES = 30;

const RUN_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A run id that is safe as a folder name and inside a marker; `who` names the user in the error. */
export function checkRunId(runId: string, who: string): string {
  if (!RUN_RE.test(runId)) throw new TypeError(`${who}: unusable run id ${JSON.stringify(runId)}`);
  return runId;
}

/** `YYYYMMDDHHMMZ`, the UTC form of authorized_keys' expiry-time. */
export function expiryTime(at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}${p(at.getUTCHours())}${p(at.getUTCMinutes())}Z`;
}

/** One authorized_keys line: `restrict`, a forced command, an expiry, the key, then the run's marker. */
export function grantLine(o: {
  publicKey: string;
  command: string;
  marker: string;
  owner: string;
  now: Date;
  what: string;
}): string {
  const key = parsePublicKey(o.publicKey);
  if (!key) throw new TypeError(`${o.what}: ${o.owner} returned no ssh public key`);
  const expiry = expiryTime(new Date(o.now.getTime() + GRANT_MINUTES * 60_000));
  return `restrict,command="${o.command}",expiry-time="${expiry}" ${key.type} ${key.blob} ${o.marker}${o.owner}`;
}

/** The Host block a connecting host uses: the run's key and known_hosts in `dir`, nothing else. */
export function accessHostBlock(o: {
  alias: string;
  address: string;
  port: number;
  dir: string;
  connectTimeout: number;
  serverAlive: { interval: number; countMax: number };
}): string[] {
  return [
    `Host ${o.alias}`,
    `  HostName ${pathValue(o.address)}`,
    `  Port ${o.port}`,
    // The grant is in root's authorized_keys, and importing or serving store paths needs root.
    '  User root',
    `  HostKeyAlias ${o.alias}`,
    `  UserKnownHostsFile ${o.dir}/known_hosts`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  UpdateHostKeys no',
    `  IdentityFile ${o.dir}/id`,
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
  ];
}

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

/** Removes the run's private folder under `root` (the private key with it), and `root` once empty. */
const CLEAR = ['rm -rf "$1/$2"', 'rmdir "$1" 2> /dev/null || true'].join('\n');

/** Run as root on the host reached: append the one authorized_keys line. */
export function grantAccessArgv(line: string, arg0: string, what: string): string[] {
  if (/[\r\n\0]/.test(line)) throw new TypeError(`${what}: an authorized_keys line must be one line`);
  return ['sh', '-c', GRANT, arg0, line];
}

/** Run as root on the host reached: remove every line holding the run's marker. */
export function revokeAccessArgv(marker: string, arg0: string): string[] {
  return ['sh', '-c', REVOKE, arg0, marker];
}

/** Run on the connecting host: remove `<root>/<runId>`. */
export function clearAccessArgv(root: string, runId: string, arg0: string, what: string): string[] {
  return ['sh', '-c', CLEAR, arg0, root, checkRunId(runId, what)];
}
