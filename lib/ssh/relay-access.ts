// Read-only relay access for one run (pure): the child's private folder under /run (its own key pair,
// an ssh_config and a known_hosts pinning its parent's host key from the inventory), the marked
// `authorized_keys` line that lets that key run `nix-store --serve` (no `--write`) on the parent as
// root until it expires, and the fixed shell scripts that install and remove them (data goes in as
// arguments, never into the script text).
import type { ResolvedInstance } from '../inventory/types.ts';
import { parsePublicKey } from './host-keys.ts';
import { accessHostBlock, runAccess } from './run-access.ts';

export { expiryTime } from './run-access.ts';

export const RELAY_ROOT = '/run/nix-hive-relay';
/** The alias the child's ssh uses for its parent (Host block and known_hosts name). */
export const RELAY_ALIAS = 'relay-parent';

const ARG0 = 'nix-hive-relay';

/** The relay's access: the child's key may run only `nix-store --serve` (read-only) on its parent. */
const access = runAccess({ root: RELAY_ROOT, tag: ARG0, command: 'nix-store --serve', what: 'relay' });

/** The child's private folder for this run. */
export const relayDir = access.dir;

/** What every authorized_keys line of this run ends with; revoking removes the lines holding it. */
export const relayMarker = access.marker;

/** The parent's line for one child's key: only `nix-store --serve`, no pty or forwarding, expiring. */
export const authorizedLine = access.authorizedLine;

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
  ...access.makeDir,
  'printf "%s" "$2" > "$d/known_hosts"',
  'printf "%s" "$3" > "$d/ssh_config"',
  ...access.makeKeyPair,
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
  return ['sh', '-c', PREPARE, ARG0, access.checkRunId(runId), knownHosts, sshConfig, outPath];
}

/** Run on the child: remove its folder (the private key with it). */
export const clearChildArgv = access.clearArgv;

/**
 * Run on the parent as root: append one line to the authorized keys file its sshd reads for a connection
 * from `from` (the child's address); prints that file.
 */
export const grantArgv = access.grantArgv;

/** Run on the parent as root: remove every line of this run (from `files` too, where grants went). */
export const revokeArgv = access.revokeArgv;
