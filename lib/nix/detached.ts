// Activation detached from the SSH session (as nixos-rebuild and clan do): switch-to-configuration
// runs under systemd-run where the host has systemd, else in a new session via `setsid -f`. A transient
// unit gets the service manager's environment, whose PATH on NixOS is systemd's own bin and nothing else
// (nixpkgs issue #261691): the unit is given the session's PATH after the new system's `sw/bin`, and the
// variables nixos-rebuild passes (`-E LOCALE_ARCHIVE -E NIXOS_INSTALL_BOOTLOADER -E NIXOS_NO_CHECK`); its output
// and exit status land in files under /run/nix-hive that a later connection reads back. A dropped
// connection therefore cannot kill a half-done switch, and the deploy still learns the true outcome.
// Two remote commands per activation: start (profile + launch) and wait (status + output, a blocking read).
// The scripts are fixed text: user data only ever travels as positional arguments.
import { setsProfile, type Goal } from './goal.ts';
import { SYSTEM_PROFILE } from './argv.ts';
import { RM_PRESENT, checkId, launchDetached, WAKE, wholeSeconds } from './detached-job.ts';

export const ACTIVATION_DIR = '/run/nix-hive';

/**
 * Runs "$@" with output to <dir>/<id>.log and its exit code, atomically, to <dir>/<id>.status, then wakes
 * whoever waits for it (detached-job.ts).
 */
const WRAPPER = [
  'exec < /dev/null > /dev/null 2>&1', // let go of the ssh session's pipes at once
  WAKE,
  'd=$1; id=$2; shift 2',
  '"$@" > "$d/$id.log" 2>&1 < /dev/null',
  'echo $? > "$d/$id.status.tmp" && mv "$d/$id.status.tmp" "$d/$id.status"',
  'poke "$d/$id"',
].join('\n');

/**
 * Sets the profile when asked and it points elsewhere (synchronously: its failure is this command's),
 * then starts switch-to-configuration detached and returns at once. With a specialisation (given, or the
 * one of this very toplevel the host already runs, for switch/test) the profile still gets the toplevel and
 * the switch is the specialisation's own, as nixos-rebuild --specialisation does.
 */
const START = [
  'set -e',
  RM_PRESENT,
  'wrapper=$1; d=$2; id=$3; profile=$4; path=$5; goal=$6; set_profile=$7; spec=${8-}',
  '[ -d "$d" ] || mkdir -p "$d"; rm_present "$d/$id.status" "$d/$id.log" "$d/$id.profile-was"',
  // Only what looks like a NixOS system (as nixos-rebuild and Colmena check) becomes the profile or runs.
  'if [ ! -f "$path/nixos-version" ] || [ ! -x "$path/bin/switch-to-configuration" ]; then',
  '  echo "$path is not a NixOS system (it lacks nixos-version or bin/switch-to-configuration); nothing was changed" >&2',
  '  exit 3',
  'fi',
  // (`[ a -ef b ]`: the same file once links are followed, asked of the shell itself, as dash, bash and
  // busybox sh all can: no readlink process.)
  'if [ -z "$spec" ] && [ -d "$path/specialisation" ] && { [ "$goal" = switch ] || [ "$goal" = test ]; }; then',
  '  for s in "$path"/specialisation/*; do',
  '    if [ -e "$s" ] && [ "$s" -ef /run/current-system ]; then',
  '      spec=${s##*/}; echo "keeping specialisation $spec of $path, which the host runs" >&2',
  '    fi',
  '  done',
  'fi',
  'sys=$path; [ -z "$spec" ] || sys="$path/specialisation/$spec"',
  'if [ ! -x "$sys/bin/switch-to-configuration" ]; then',
  '  echo "$path has no specialisation $spec; nothing was changed" >&2; exit 3',
  'fi',
  'if [ "$set_profile" = 1 ] && ! [ "$profile" -ef "$path" ]; then',
  '  readlink "$profile" > "$d/$id.profile-was" 2> /dev/null || true', // set back if the switch is busy
  '  nix-env -p "$profile" --set "$path"',
  'fi',
  'path=$sys', // what runs: the toplevel or its specialisation
  ...launchDetached({
    unit: '"nix-hive-activate-$id"',
    script: 'wrapper',
    name: 'nix-hive-activate',
    args: '"$d" "$id" "$path/bin/switch-to-configuration" "$goal"',
    exec: true,
  }),
].join('\n');

/**
 * Waits until the status file exists, blocked until the wrapper's poke (no polling), then prints it and the
 * output; exit 124 once `limit` seconds passed without a wake-up. The file stays: a waiter that reconnects
 * reads it again.
 */
const WAIT = [
  WAKE,
  'd=$1; id=$2; limit=$3',
  '[ -d "$d" ] || mkdir -p "$d"',
  'if [ ! -e "$d/$id.status" ]; then listen "$d/$id"; until_exists "$d/$id.status" "$limit" || exit 124; fi',
  'cat "$d/$id.status" "$d/$id.log" 2> /dev/null || [ -e "$d/$id.status" ]',
].join('\n');

/** One remote command: set the profile (goals that set it), then start the switch detached. */
export function startActivationArgv(
  id: string,
  outPath: string,
  goal: Goal,
  dir = ACTIVATION_DIR,
  specialisation?: string,
): string[] {
  checkId(id);
  const setProfile = setsProfile(goal) ? '1' : '0';
  const argv = [
    'sh',
    '-c',
    START,
    'nix-hive-start',
    WRAPPER,
    dir,
    id,
    SYSTEM_PROFILE,
    outPath,
    goal,
    setProfile,
  ];
  return specialisation ? [...argv, specialisation] : argv;
}

/** One remote command: wait for the detached switch to end; stdout is its exit status, then its output. */
export function waitActivationArgv(id: string, timeoutSeconds: number, dir = ACTIVATION_DIR): string[] {
  checkId(id);
  return ['sh', '-c', WAIT, 'nix-hive-wait', dir, id, wholeSeconds(timeoutSeconds)];
}

/** Splits the wait command's output into the exit status and the activation's output lines. */
export function parseWaitOutput(stdout: string): { status: string; lines: string[] } {
  const [status = '', ...lines] = stdout.split('\n');
  return { status: status.trim(), lines: lines.filter((l) => l !== '') };
}
