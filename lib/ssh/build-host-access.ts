// The build host's push access for one run (pure): its private folder under /run (a key pair made there
// for the run, a known_hosts pinning each destination's host keys from the inventory, an ssh_config with
// one Host block per destination), the marked authorized_keys line that lets that key run only
// `nix-store --serve --write` on a destination until it expires, and the fixed shell scripts that install
// and remove them (data goes in as arguments, never into the script text). Nothing is left after the run.
import type { ResolvedInstance } from '../inventory/types.ts';
import { parsePublicKey } from './host-keys.ts';
import { accessHostBlock, runAccess } from './run-access.ts';

export const BUILD_ROOT = '/run/nix-hive-build';

const ARG0 = 'nix-hive-build';

/** The build host's access: its key may run only `nix-store --serve --write` on a destination. */
const access = runAccess({
  root: BUILD_ROOT,
  tag: ARG0,
  command: 'nix-store --serve --write',
  what: 'build host',
});

/** The build host's private folder for this run. */
export const buildHostDir = access.dir;

/** What every authorized_keys line of this run ends with; revoking removes the lines holding it. */
export const pushMarker = access.marker;

/** The destination's line for the build host's key: only `nix-store --serve --write`, expiring. */
export const pushAuthorizedLine = access.authorizedLine;

/** A destination as the build host reaches it: its name (Host alias) and where it answers. */
export interface PushTarget {
  instance: ResolvedInstance;
  /** The address the build host uses (the inventory's, or the jump host's side facing the build host). */
  address: string;
}

/** known_hosts of the build host: each destination's pinned keys under its name. */
export function pushKnownHosts(targets: PushTarget[]): string {
  const lines: string[] = [];
  for (const { instance } of targets) {
    const keys = instance.hostKeys.map(parsePublicKey);
    if (keys.length === 0 || keys.some((k) => !k))
      throw new TypeError(`the build host pushes to ${instance.name}, which needs pinned hostKeys`);
    for (const k of keys) lines.push(`${instance.name} ${k!.type} ${k!.blob}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The build host's ssh_config: the run's key only, pinned host keys only, no agent, no forwarding. */
export function pushSshConfig(targets: PushTarget[], runId: string, connectTimeout: number): string {
  const dir = buildHostDir(runId);
  const out = [`# nix-hive ${runId}: the build host pushes to these hosts; removed after the run`];
  for (const { instance, address } of targets) {
    out.push(
      ...accessHostBlock({
        alias: instance.name,
        address,
        port: instance.port,
        dir,
        connectTimeout,
        serverAlive: { interval: 10, countMax: 3 },
      }),
    );
  }
  return out.join('\n');
}

// Prints the public key, then the address the current ssh connection came from (the jump host's side).
const PREPARE = ['set -eu', ...access.makeDir, ...access.makeKeyPair, 'echo "${SSH_CONNECTION%% *}"'].join(
  '\n',
);

const CONFIGURE = [
  'set -eu',
  'umask 077',
  `d=${BUILD_ROOT}/$1`,
  'printf "%s" "$2" > "$d/known_hosts"',
  'printf "%s" "$3" > "$d/ssh_config"',
].join('\n');

/** Run on the build host: the private folder and key pair; prints the public key and the peer address. */
export function preparePushArgv(runId: string): string[] {
  return ['sh', '-c', PREPARE, ARG0, access.checkRunId(runId)];
}

/** Run on the build host: its known_hosts and ssh_config for this run. */
export function configurePushArgv(runId: string, knownHosts: string, sshConfig: string): string[] {
  return ['sh', '-c', CONFIGURE, ARG0, access.checkRunId(runId), knownHosts, sshConfig];
}

/** Run on the build host: remove the folder (the private key with it). */
export const clearPushArgv = access.clearArgv;

/**
 * Run on a destination as root: append the one line to the authorized keys file its sshd reads for a
 * connection from `from` (the build host's address); prints that file.
 */
export const grantPushArgv = access.grantArgv;

/** Run on a destination as root: remove every line of this run (from `files` too, where grants went). */
export const revokePushArgv = access.revokeArgv;
