// Activation detached from the SSH session (as nixos-rebuild and clan do): switch-to-configuration
// runs under systemd-run where the host has systemd, else in a new session via `setsid -f`; its output
// and exit status land in files under /run/nix-hive that a later connection reads back. A dropped
// connection therefore cannot kill a half-done switch, and the deploy still learns the true outcome.
// The scripts here are fixed text: user data only ever travels as positional arguments.

export const ACTIVATION_DIR = '/run/nix-hive';

/** Runs "$@" with output to <dir>/<id>.log and its exit code, atomically, to <dir>/<id>.status. */
const WRAPPER = [
  'exec < /dev/null > /dev/null 2>&1', // let go of the ssh session's pipes at once
  'd=/run/nix-hive; id=$1; shift',
  'mkdir -p "$d" && rm -f "$d/$id.status" "$d/$id.log"',
  '"$@" > "$d/$id.log" 2>&1 < /dev/null',
  'echo $? > "$d/$id.status.tmp" && mv "$d/$id.status.tmp" "$d/$id.status"',
].join('\n');

export function activationFiles(id: string): { log: string; status: string } {
  return { log: `${ACTIVATION_DIR}/${id}.log`, status: `${ACTIVATION_DIR}/${id}.status` };
}

/** Does the host run systemd? (exit 0 = yes) */
export function hasSystemdArgv(): string[] {
  return ['sh', '-c', 'test -d /run/systemd/system && command -v systemd-run >/dev/null'];
}

/** Start `command` detached; returns at once. `id` must be a safe file name. */
export function launchDetachedArgv(id: string, command: string[], systemd: boolean): string[] {
  if (!/^[A-Za-z0-9._-]+$/.test(id)) throw new Error(`unsafe activation id ${JSON.stringify(id)}`);
  if (systemd) {
    return [
      'systemd-run',
      `--unit=nix-hive-activate-${id}`,
      '--collect',
      '--quiet',
      '--service-type=exec',
      '--',
      'sh',
      '-c',
      WRAPPER,
      'nix-hive-activate',
      id,
      ...command,
    ];
  }
  // setsid -f: a new session, so the sshd session's end (SIGHUP) does not reach it.
  return ['setsid', '-f', 'sh', '-c', WRAPPER, 'nix-hive-activate', id, ...command];
}

/** Waits (remotely, polling a file) until the detached command ended, then prints its exit status. */
export function waitDetachedArgv(id: string, timeoutSeconds: number): string[] {
  const { status } = activationFiles(id);
  return [
    'sh',
    '-c',
    'n=0; while [ ! -e "$1" ]; do sleep 0.2; n=$((n+1)); [ "$n" -ge "$2" ] && exit 124; done; cat "$1"',
    'nix-hive-wait',
    status,
    String(Math.max(1, Math.round(timeoutSeconds * 5))),
  ];
}

export function readDetachedLogArgv(id: string): string[] {
  return ['cat', activationFiles(id).log];
}
