// Read-only relay access for one run (pure): the child's private folder under /run (its own key pair,
// an ssh_config and a known_hosts pinning its parent's host key from the inventory), the marked
// `authorized_keys` line that lets that key run `nix-store --serve` (no `--write`) on the parent as
// root until it expires, and the fixed shell scripts that install and remove them (data goes in as
// arguments, never into the script text).
import type { ResolvedInstance } from '../inventory/types.ts';
import { parsePublicKey } from './host-keys.ts';
import {
  accessHostBlock,
  checkRunId as checkId,
  clearAccessArgv,
  grantAccessArgv,
  grantLine,
  revokeAccessArgv,
} from './run-access.ts';

export { expiryTime } from './run-access.ts';

export const RELAY_ROOT = '/run/nix-hive-relay';
/** The alias the child's ssh uses for its parent (Host block and known_hosts name). */
export const RELAY_ALIAS = 'relay-parent';

const checkRunId = (runId: string) => checkId(runId, 'relay');

/** The child's private folder for this run. */
export function relayDir(runId: string): string {
  return `${RELAY_ROOT}/${checkRunId(runId)}`;
}

/** What every authorized_keys line of this run ends with; revoking removes the lines holding it. */
export function relayMarker(runId: string): string {
  return `nix-hive-relay:${checkRunId(runId)}:`;
}

/** The parent's line for one child's key: only `nix-store --serve`, no pty or forwarding, expiring. */
export function authorizedLine(publicKey: string, runId: string, child: string, now: Date): string {
  return grantLine({
    publicKey,
    command: 'nix-store --serve',
    marker: relayMarker(runId),
    owner: child,
    now,
    what: 'relay',
  });
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
  return [
    `# nix-hive relay ${runId}: pull from ${parent.name} (read-only); removed after the run`,
    ...accessHostBlock({
      alias: RELAY_ALIAS,
      address: parent.address,
      port: parent.port,
      dir: relayDir(runId),
      ...o,
    }),
  ].join('\n');
}

const PREPARE = [
  'set -eu',
  // A child that holds the closure already needs no key (its copy step will say so).
  'if nix-store --check-validity "$4" 2> /dev/null; then echo has; exit 0; fi',
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

/**
 * Run on the child: make the private folder and key pair; prints the public key, or `has` (and makes
 * nothing) when the child holds `outPath` already.
 */
export function prepareChildArgv(
  runId: string,
  knownHosts: string,
  sshConfig: string,
  outPath: string,
): string[] {
  return ['sh', '-c', PREPARE, 'nix-hive-relay', checkRunId(runId), knownHosts, sshConfig, outPath];
}

/** Run on the child: remove its folder (the private key with it). */
export function clearChildArgv(runId: string): string[] {
  return clearAccessArgv(RELAY_ROOT, runId, 'nix-hive-relay', 'relay');
}

/**
 * Run on the parent as root: append one line to the authorized keys file its sshd reads for a connection
 * from `from` (the child's address); prints that file.
 */
export function grantArgv(line: string, from = ''): string[] {
  return grantAccessArgv(line, 'nix-hive-relay', 'relay', from);
}

/** Run on the parent as root: remove every line of this run (from `files` too, where grants went). */
export function revokeArgv(runId: string, files: string[] = []): string[] {
  return revokeAccessArgv(relayMarker(runId), 'nix-hive-relay', files);
}
