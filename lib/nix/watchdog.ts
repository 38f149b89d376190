// Remote scripts of the confirm-or-roll-back protocol (fixed text; user data only as positional arguments).
// Before a `switch`/`test` activation, `arm` records what the host ran (the system profile's generation and
// /run/current-system) and starts a watchdog detached from the ssh session (a systemd unit or setsid, like the activation). The
// watchdog waits for the activation to END (so a long copy or switch never eats the window), then for a
// verdict, the window starting again at each heartbeat the deployer sends while its checks run (so slow
// checks never eat it either, yet a deployer that vanishes leaves the host to roll back alone). The verdict is the symlink `<id>.verdict`, created atomically by whoever decides first. `confirmed` (the
// deployer, over a NEW connection, after the checks) ends it; no verdict within the timeout makes it write
// `timeout` itself; any other verdict (`check-failed`, `activation-failed`, …) also rolls back. Rolling back
// switches the profile to the recorded generation and runs the old system's switch-to-configuration, with its
// output and exit status in `<id>.rollback.log` / `<id>.rollback.status` (read back like an activation). No
// lock decides a verdict: it is a claim made once, and the watchdog always exits. It writes its pid to
// `<id>.watchdog` (arm waits for it) and holds `<id>.watchdog.lock` while it lives, so waiting for a rollback
// notices at once when it was killed; the deployer then starts it again from what arm kept in `<id>.armed`
// (resumeWatchdogArgv), so the rollback still happens. Every wait here blocks until woken (detached-job.ts).
import { SYSTEM_PROFILE } from './argv.ts';
import { ACTIVATION_DIR } from './detached.ts';
import { RM_PRESENT, checkId, launchDetached, WAKE, wholeSeconds } from './detached-job.ts';
import type { Goal } from './goal.ts';

/**
 * Runs in the background: waits, decides, rolls back (see the header). Every wait blocks until a poke
 * (detached-job.ts): the activation's status, a verdict and a heartbeat each wake it. It holds the lock
 * `<id>.watchdog.lock` for its whole life, so a rollback's waiter blocks on the lock and learns at once,
 * from the kernel, when the watchdog ended, however it ended (util-linux flock, as setsid).
 */
const WATCHDOG = [
  'exec < /dev/null > /dev/null 2>&1',
  WAKE,
  'd=$1; id=$2; limit=$3; profile=$4; goal=$5; old_sys=$6; old_gen=$7; old_prof_sys=$8',
  'exec 4> "$d/$id.watchdog.lock"; flock -x 4',
  // Its pid, so the deployer waiting for a rollback notices when nobody is left to do it (watchdogGone); the
  // poke wakes arm. Then it listens (not before: it would only wake itself); the loop below looks first.
  'echo $$ > "$d/$id.watchdog.tmp" && mv "$d/$id.watchdog.tmp" "$d/$id.watchdog"; poke "$d/$id"',
  'listen "$d/$id"',
  'v="$d/$id.verdict"',
  'while [ ! -e "$d/$id.status" ]; do',
  '  if [ -L "$v" ]; then r=$(readlink "$v") || r=; [ "$r" != cancelled ] || exit 0; fi',
  '  woken 3600 || :',
  'done',
  // The window (at least `limit` seconds) starts again at each wake-up: a heartbeat (a poke sent over the
  // old connection while the checks run, or while a slow confirmation is tried) is one. No clock is read.
  'while [ ! -L "$v" ]; do woken "$((limit + 1))" || break; done',
  '[ -L "$v" ] || ln -s timeout "$v" 2> /dev/null || :',
  'r=$(readlink "$v") || r=',
  'case "$r" in confirmed | cancelled) exit 0 ;; esac',
  'rollback() {',
  '  echo "nix-hive: rolling back ($(readlink "$v")) to ${old_sys:-nothing}"',
  '  if [ -z "$old_sys" ] || [ ! -x "$old_sys/bin/switch-to-configuration" ]; then',
  '    echo "nix-hive: no previous system to return to"; return 3',
  '  fi',
  '  if [ "$goal" = switch ] && [ -n "$old_gen" ]; then nix-env -p "$profile" --switch-generation "$old_gen" || return $?; fi',
  '  if [ "$goal" = switch ] && [ "$old_prof_sys" = "$old_sys" ]; then',
  '    "$old_sys/bin/switch-to-configuration" switch',
  '  else',
  '    if [ "$goal" = switch ] && [ -x "$old_prof_sys/bin/switch-to-configuration" ]; then',
  '      "$old_prof_sys/bin/switch-to-configuration" boot || return $?',
  '    fi',
  '    "$old_sys/bin/switch-to-configuration" test',
  '  fi',
  '}',
  'rollback > "$d/$id.rollback.log" 2>&1 3>&- 4>&-', // its children hold neither the FIFO nor the lock
  'echo $? > "$d/$id.rollback.status.tmp" && mv "$d/$id.rollback.status.tmp" "$d/$id.rollback.status"',
  'poke "$d/$id"',
].join('\n');

/**
 * Starts the watchdog detached and waits (about 5 s at most, woken by its poke) for its pid: armed means running. Where systemd runs
 * it is a transient unit of its own (as the activation): in the login session, logind's KillUserProcesses
 * (NixOS services.logind.killUserProcesses) would end it with the very connection whose loss it must
 * answer. Elsewhere a new session (setsid). `path` is unset here: the unit gets the session's PATH.
 */
const LAUNCH = [
  'path=',
  'listen "$d/$id"', // before the launch: the watchdog's poke once its pid is written is never missed
  'set -- "$d" "$id" "$limit" "$profile" "$goal" "$old_sys" "$old_gen" "$old_prof_sys"',
  ...launchDetached({
    unit: '"nix-hive-watchdog-$id-$$"',
    script: 'watchdog',
    name: 'nix-hive-watchdog',
    args: '"$@"',
  }),
  'until_exists "$d/$id.watchdog" 6 || { echo "the watchdog did not start" >&2; exit 1; }',
];

/**
 * Records the running system and the profile generation, then starts the watchdog and returns. Prints the
 * previous system (or an empty line) so the deployer can name it.
 */
const ARM = [
  'set -e',
  WAKE,
  RM_PRESENT,
  'watchdog=$1; d=$2; id=$3; limit=$4; profile=$5; goal=$6',
  '[ -d "$d" ] || mkdir -p "$d"; rm_present "$d/$id.verdict" "$d/$id.rollback.status" "$d/$id.rollback.log" "$d/$id.watchdog"',
  // Both systems in one readlink (canonical paths, kept only where they exist), the generation from the
  // profile's own link (`system-<n>-link`) by the shell's expansions. (`x=$(cmd) || x=` rather than
  // `$(cmd || true)`: the shell runs cmd without a subshell of its own.)
  'nl=\'\n\'; r=$(readlink -m /run/current-system "$profile") || r="$nl"',
  'old_sys=${r%%"$nl"*}; old_prof_sys=${r#*"$nl"}',
  '[ -e "$old_sys" ] || old_sys=; [ -e "$old_prof_sys" ] || old_prof_sys=',
  'link=$(readlink "$profile" 2> /dev/null) || link=',
  'old_gen=${link%-link}; old_gen=${old_gen##*-}',
  'case "$link" in *?-[0-9]*-link) case "$old_gen" in *[!0-9]*) old_gen= ;; esac ;; *) old_gen= ;; esac',
  // What the watchdog needs, kept so the deployer can start it again (resumeWatchdogArgv) should it die.
  'printf "%s\\n" "$limit" "$profile" "$goal" "$old_sys" "$old_gen" "$old_prof_sys" > "$d/$id.armed"',
  ...LAUNCH,
  'echo "$old_sys"',
].join('\n');

/**
 * Starts the watchdog again from `<id>.armed` after it died, with a verdict standing (`timeout` unless one was
 * claimed), so it rolls back at once; prints that verdict (`confirmed`: nothing to roll back, not started).
 */
const RESUME = [
  'set -e',
  WAKE,
  'watchdog=$1; d=$2; id=$3; f="$d/$id.armed"',
  '[ -r "$f" ] || { echo "no watchdog was armed as $id" >&2; exit 1; }',
  '{ read -r limit; read -r profile; read -r goal; read -r old_sys; read -r old_gen; read -r old_prof_sys; } < "$f"',
  'ln -s timeout "$d/$id.verdict" 2> /dev/null || true',
  'v=$(readlink "$d/$id.verdict")',
  'case "$v" in confirmed | cancelled) echo "$v"; exit 0 ;; esac',
  'rm -f "$d/$id.watchdog"', // the dead one's pid: the launch waits for the new one's
  ...LAUNCH,
  'echo "$v"',
].join('\n');

/** Claims the verdict (atomically) unless one exists, wakes the watchdog, then prints whichever verdict stands. */
const VERDICT = [
  WAKE,
  'd=$1; id=$2; verdict=$3',
  'if ln -s "$verdict" "$d/$id.verdict" 2> /dev/null; then claimed=1; else claimed=; fi',
  'poke "$d/$id"',
  '[ -z "$claimed" ] || { echo "$verdict"; exit 0; }', // claimed here: no need to read it back
  'readlink "$d/$id.verdict"',
].join('\n');

export function armWatchdogArgv(
  id: string,
  goal: Goal,
  confirmTimeoutS: number,
  dir = ACTIVATION_DIR,
): string[] {
  checkId(id);
  const limit = wholeSeconds(confirmTimeoutS);
  return ['sh', '-c', ARM, 'nix-hive-arm', WATCHDOG, dir, id, limit, SYSTEM_PROFILE, goal];
}

/** Starts a dead watchdog again so it rolls back now (see RESUME); stdout is the verdict standing. */
export function resumeWatchdogArgv(id: string, dir = ACTIVATION_DIR): string[] {
  checkId(id);
  return ['sh', '-c', RESUME, 'nix-hive-resume', WATCHDOG, dir, id];
}

/** The verdicts the deployer may claim; the watchdog itself only ever writes `timeout`. */
export type Verdict = 'confirmed' | 'cancelled' | 'check-failed' | 'activation-failed' | 'degraded';

export function verdictArgv(id: string, verdict: Verdict, dir = ACTIVATION_DIR): string[] {
  checkId(id);
  return ['sh', '-c', VERDICT, 'nix-hive-verdict', dir, id, verdict];
}

/** A heartbeat: the deployer is still at work (checks); the watchdog's window starts again. */
export function heartbeatArgv(id: string, dir = ACTIVATION_DIR): string[] {
  checkId(id);
  return ['sh', '-c', `${WAKE}\npoke "$1/$2"`, 'nix-hive-alive', dir, id];
}

/**
 * Waits for the rollback's status like waitActivationArgv (exit 124 after `limit` seconds), blocked on the
 * watchdog's lock (it writes the status, then ends): exits 125 at once when the watchdog ended, or was
 * killed, without writing it.
 */
const WAIT_ROLLBACK = [
  'd=$1; id=$2; limit=$3; s="$d/$id.rollback.status"; l="$d/$id.watchdog.lock"',
  'if [ ! -e "$s" ] && [ -e "$l" ]; then flock -s -w "$limit" -E 124 5 5< "$l" || exit $?; fi',
  '[ -e "$s" ] || exit 125',
  'cat "$s"; cat "$d/$id.rollback.log" 2> /dev/null || true',
].join('\n');

/** The exit code of waitRollbackArgv when the watchdog is gone without a verdict's outcome. */
export const WATCHDOG_GONE = 125;

/** One remote command: wait for the watchdog's rollback; stdout is its exit status, then its output. */
export function waitRollbackArgv(id: string, timeoutSeconds: number, dir = ACTIVATION_DIR): string[] {
  checkId(id);
  return ['sh', '-c', WAIT_ROLLBACK, 'nix-hive-wait-rollback', dir, id, wholeSeconds(timeoutSeconds)];
}

/** The id whose `.status`/`.log` hold the rollback's outcome (read with waitActivationArgv). */
export function rollbackId(id: string): string {
  return `${id}.rollback`;
}
