// Host-to-host ssh access for one run (pure), shared by the build host's push and the relay pull: a key
// pair made on the host that connects (the private key never travels), an expiring authorized_keys line on
// the host it reaches, marked with the run so revoking removes exactly the run's lines, and a locked-down
// ssh_config Host block (that key only, pinned host keys only, no agent, no forwarding, no multiplexing).
// The scripts that install and remove them are fixed text; data goes in as positional arguments. `runAccess`
// gives each kind (its folder, marker tag and forced command) the same names, lines and scripts.
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

// Where sshd reads root's authorized keys: `sshd -T` of the sshd serving this very connection (its binary
// and `-f` config are those of the listener among our ancestors; setproctitle keeps its arguments), for a
// connection from `$2` (`addr`, else the one this session came from). Sets `files`: one expanded path a
// line (%% %u %h, relative to root's home, as sshd_config(5) says). Without sshd -T (not permitted,
// no binary), sshd's compiled default `.ssh/authorized_keys`.
const FIND_KEYS = [
  'h=$(cd ~root && pwd)',
  'exe=; conf=; p=$$',
  // One readlink per ancestor; its parent read by the shell itself (a grant runs once per relayed copy).
  'while [ "${p:-0}" -gt 1 ] && [ -r "/proc/$p/status" ]; do',
  '  e=$(readlink "/proc/$p/exe" 2> /dev/null) || e=',
  '  case "$e" in */sshd) exe=$e; conf=; c=" $(tr "\\0" " " < "/proc/$p/cmdline") "',
  '    case "$c" in *" -f "*) conf=${c#* -f }; conf=${conf%% *} ;; esac ;; esac',
  '  q=0; while IFS=":	 " read -r k v; do [ "$k" != PPid ] || { q=$v; break; }; done < "/proc/$p/status"',
  '  p=$q',
  'done',
  '[ -n "$exe" ] || exe=$(command -v sshd || true)',
  'a=${2:-}',
  'case "$a" in "" | *[!0-9a-fA-F.:]*) a=${SSH_CONNECTION%% *} ;; esac',
  'akf=',
  'if [ -n "$exe" ]; then',
  '  if [ -n "$conf" ]; then set -- -f "$conf"; else set --; fi',
  '  akf=$("$exe" -T "$@" -C "user=root,host=${a:-127.0.0.1},addr=${a:-127.0.0.1}" 2> /dev/null |',
  '    sed -n "s/^authorizedkeysfile //p") || akf=',
  'fi',
  '[ -n "$akf" ] || akf=.ssh/authorized_keys',
  'files=',
  'for k in $akf; do',
  '  [ "$k" = none ] && continue',
  '  k=$(printf "%s" "$k" | sed -e "s/%%/\\x01/g" -e "s/%u/root/g" -e "s|%h|$h|g" -e "s/\\x01/%/g")',
  '  case "$k" in /*) ;; *) k="$h/$k" ;; esac',
  '  files="$files$k',
  '"',
  'done',
].join('\n');

// Appends `$1` to the first file sshd reads that takes it (made if missing: its folder 0755, or 0700 under
// root's home, the file 0600, owned by root, as StrictModes wants), and prints that file's path. None: a
// one-line error naming AuthorizedKeysFile, exit 3.
const GRANT = [
  'set -eu',
  'line=$1',
  FIND_KEYS,
  'umask 022',
  'printf "%s" "$files" | while IFS= read -r f; do',
  '  [ -n "$f" ] || continue',
  '  d=${f%/*}',
  '  case "$d/" in "$h"/*) m=700 ;; *) m=755 ;; esac',
  '  [ -d "$d" ] || { mkdir -p "$d" 2> /dev/null && chmod "$m" "$d"; } || continue',
  '  [ -e "$f" ] || { (umask 077 && : > "$f") 2> /dev/null || continue; }',
  '  [ -f "$f" ] && [ ! -L "$f" ] || continue',
  // A last line without its newline would swallow ours.
  '  if [ -s "$f" ] && [ -n "$(tail -c 1 "$f")" ]; then echo >> "$f" 2> /dev/null || continue; fi',
  '  printf "%s\\n" "$line" >> "$f" 2> /dev/null || continue',
  '  echo "$f"; exit 7',
  'done && {',
  '  echo "sshd reads root\'s keys from AuthorizedKeysFile $akf: none of them can take the grant" >&2',
  '  exit 3',
  '} || [ $? -eq 7 ]',
].join('\n');

// Removes every line holding the marker `$1` from every file sshd reads and from the files named after it
// (where the grants were written), each file keeping its mode.
const REVOKE = [
  'set -eu',
  'm=$1; shift',
  'extra=$(printf "%s\\n" "$@")',
  'set -- "" ""',
  FIND_KEYS,
  'printf "%s\\n%s\\n" "$files" "$extra" | sort -u | while IFS= read -r f; do',
  '  [ -n "$f" ] && [ -f "$f" ] && [ ! -L "$f" ] || continue',
  '  grep -qF -e "$m" "$f" || continue',
  '  t=$(mktemp "$f.XXXXXX")',
  '  grep -vF -e "$m" "$f" > "$t" || true',
  '  chmod "$(stat -c %a "$f")" "$t"',
  '  mv -f "$t" "$f"',
  'done',
].join('\n');

/** Removes the run's private folder under `root` (the private key with it), and `root` once empty. */
const CLEAR = ['rm -rf "$1/$2"', 'rmdir "$1" 2> /dev/null || true'].join('\n');

/**
 * Run as root on the host reached: append the one authorized_keys line to the file its sshd reads for a
 * connection from `from` (the connecting host's address); prints that file.
 */
export function grantAccessArgv(line: string, arg0: string, what: string, from = ''): string[] {
  if (/[\r\n\0]/.test(line)) throw new TypeError(`${what}: an authorized_keys line must be one line`);
  return ['sh', '-c', GRANT, arg0, line, from];
}

/** Run as root on the host reached: remove every line holding the run's marker (also from `files`). */
export function revokeAccessArgv(marker: string, arg0: string, files: string[] = []): string[] {
  return ['sh', '-c', REVOKE, arg0, marker, ...files];
}

/** Run on the connecting host: remove `<root>/<runId>`. */
export function clearAccessArgv(root: string, runId: string, arg0: string, what: string): string[] {
  return ['sh', '-c', CLEAR, arg0, root, checkRunId(runId, what)];
}

/** One kind of host-to-host access: the build host's push, the relay pull. */
export interface AccessKind {
  /** The folder under /run that holds each run's private folder (`<root>/<runId>`) on the connecting host. */
  root: string;
  /** `nix-hive-build`, `nix-hive-relay`: the scripts' `$0` and the start of the run's marker. */
  tag: string;
  /** The only command the grant lets the key run on the host reached. */
  command: string;
  /** Names the kind in errors (`build host`, `relay`). */
  what: string;
}

/** The run-scoped names and scripts of one kind of access, each checking the run id once. */
export interface RunAccess {
  checkRunId(runId: string): string;
  /** The connecting host's private folder for this run. */
  dir(runId: string): string;
  /** What every authorized_keys line of this run ends with; revoking removes the lines holding it. */
  marker(runId: string): string;
  /** The line for `owner`'s key on the host reached: only the kind's command, expiring. */
  authorizedLine(publicKey: string, runId: string, owner: string, now: Date): string;
  /** Run as root on the host reached: append `line` (see grantAccessArgv); prints the file it went to. */
  grantArgv(line: string, from?: string): string[];
  /** Run as root on the host reached: remove every line of this run (from `files` too, where grants went). */
  revokeArgv(runId: string, files?: string[]): string[];
  /** Run on the connecting host: remove its folder (the private key with it). */
  clearArgv(runId: string): string[];
  /** Shell lines (`$1` the run id) that make the run's private folder anew, 0700 under `root`, as `$d`. */
  readonly makeDir: string[];
  /** Shell lines that make the run's key pair in `$d` and print its public key. */
  readonly makeKeyPair: string[];
}

export function runAccess(kind: AccessKind): RunAccess {
  const check = (runId: string) => checkRunId(runId, kind.what);
  const marker = (runId: string) => `${kind.tag}:${check(runId)}:`;
  return {
    checkRunId: check,
    dir: (runId) => `${kind.root}/${check(runId)}`,
    marker,
    authorizedLine: (publicKey, runId, owner, now) =>
      grantLine({ publicKey, command: kind.command, marker: marker(runId), owner, now, what: kind.what }),
    grantArgv: (line, from = '') => grantAccessArgv(line, kind.tag, kind.what, from),
    revokeArgv: (runId, files = []) => revokeAccessArgv(marker(runId), kind.tag, files),
    clearArgv: (runId) => clearAccessArgv(kind.root, runId, kind.tag, kind.what),
    makeDir: [
      'umask 077',
      `mkdir -p ${kind.root}`,
      `chmod 700 ${kind.root}`,
      `d=${kind.root}/$1`,
      'rm -rf "$d"',
      'mkdir "$d"',
    ],
    makeKeyPair: [
      `ssh-keygen -q -t ed25519 -N "" -C "${kind.tag}:$1" -f "$d/id" > /dev/null`,
      'cat "$d/id.pub"',
    ],
  };
}
