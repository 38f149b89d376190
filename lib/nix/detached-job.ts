// The shell pieces every detached job on a host shares (the activation, the watchdog, the reboot): where it runs
// (a transient systemd unit where systemd runs the host, else a new session via `setsid -f`), the id check, and
// the blocking wake-up by which a waiter learns that a job's files changed. A waiter `listen`s on a FIFO of its
// own, `<dir>/<id>.wake.<pid>` (made before it looks at the files, so no change is missed), and blocks in
// `woken` until whoever changes them `poke`s every such FIFO, or the time runs out (124). Pokes are only
// wake-ups: the files stay the truth, so a waiter that reconnects later reads the same outcome. Tools: POSIX sh,
// coreutils' mkfifo and timeout (NixOS puts coreutils in every system, nixos/modules/config/system-path.nix).

/** Opens a shell `if` taken where systemd runs the host (the test every transient-unit launch makes). */
export const WHERE_SYSTEMD = 'if [ -d /run/systemd/system ] && command -v systemd-run > /dev/null 2>&1; then';

/**
 * systemd-run options of every transient unit nix-hive starts (the switch, the watchdog, the reboot): collected
 * when done, and the environment the unit's shell needs, which the manager's does not give: its PATH on NixOS is
 * systemd's own bin and nothing else (nixpkgs issue #261691). `$path` is the system being activated (its `sw/bin`
 * holds coreutils on NixOS); `-E NAME` copies NAME from the calling session when it is set there.
 */
export const UNIT_OPTIONS = [
  '--collect --quiet --service-type=exec',
  '--setenv=PATH="${path:+$path/sw/bin:}$PATH"',
  '-E LOCALE_ARCHIVE -E NIXOS_INSTALL_BOOTLOADER -E NIXOS_NO_CHECK',
].join(' ');

/**
 * Shell that prints its argument with every `$` doubled. systemd expands `$$`, `${NAME}` and `$NAME` in the
 * arguments of ExecStart= (systemd.service(5), "Command lines"; systemd-run has no way around it before
 * v254's --expand-environment=no): a script passed to systemd-run must be escaped or its `$$` becomes `$`.
 */
export function unitEscaped(variable: string): string {
  return `"$(printf '%s\\n' "$${variable}" | sed 's/[$]/$$/g')"`;
}

/**
 * Shell lines that start the script held in `$<script>` detached, as `<name> <args>`: a transient unit named
 * `unit` (a shell word) where systemd runs the host, else `setsid -f`. `exec`: the launch is the caller's last
 * command. Only fixed text goes in: `args` are shell words naming the caller's variables.
 */
export function launchDetached(o: {
  unit: string;
  script: string;
  name: string;
  args: string;
  exec?: boolean;
}): string[] {
  const exec = o.exec ? 'exec ' : '';
  return [
    WHERE_SYSTEMD,
    `  ${exec}systemd-run --unit=${o.unit} ${UNIT_OPTIONS} -- \\`,
    `    sh -c ${unitEscaped(o.script)} ${o.name} ${o.args} < /dev/null > /dev/null`,
    'else',
    `  ${exec}setsid -f sh -c "$${o.script}" ${o.name} ${o.args}`,
    'fi',
  ];
}

/**
 * Shell functions of the wake-up (see the header): `listen PREFIX` opens the caller's FIFO on fd 3 (removed
 * when it exits), `woken SECONDS` blocks until a poke (0) or SECONDS pass (124), `until_exists FILE SECONDS`
 * wakes until FILE exists (124 once a wait of SECONDS found no poke), `poke PREFIX` wakes every listener of
 * PREFIX and of the ids below it (`<id>.rollback`). No clock is read (`date` is a process per reading): a
 * wake-up that finds nothing waits the whole time again, and the files stay the truth. `timeout --foreground`
 * stays in the caller's process group, so stopping the group (the run wrapper) stops it too.
 */
export const WAKE = [
  'listen() {',
  // A FIFO left by an earlier process of the same pid is replaced (rm only then: a process fewer).
  '  w="$1.wake.$$"; mkfifo -m 600 "$w" 2> /dev/null || { rm -f "$w"; mkfifo -m 600 "$w"; }; exec 3<> "$w"',
  '  trap \'rm -f "$w"\' EXIT; trap "exit 129" HUP; trap "exit 130" INT; trap "exit 143" TERM; trap "exit 141" PIPE',
  '}',
  'woken() { timeout --foreground "$1" sh -c "read -r _" <&3 4>&-; }', // never holds the watchdog's lock
  // Until the file exists; each wake-up that finds it missing waits the whole time again (pokes are rare).
  'until_exists() { while [ ! -e "$1" ]; do woken "$2" || return 124; done; }',
  'poke() {',
  '  for f in "$1".wake.* "$1".*.wake.*; do if [ -p "$f" ]; then { echo; } 1<> "$f" 2> /dev/null; fi; done',
  '  return 0',
  '}',
].join('\n');

/**
 * Shell function `rm_present FILE…`: removes the files, starting `rm` only when one of them is there (a new id,
 * the usual case, has none: a process fewer per script). Symlinks count (a verdict's is dangling).
 */
export const RM_PRESENT =
  'rm_present() { for f; do if [ -e "$f" ] || [ -L "$f" ]; then rm -f "$@"; return; fi; done; }';

/** Seconds to hand a remote `woken`/`timeout` (a whole number, at least 1). */
export function wholeSeconds(seconds: number): string {
  return String(Math.max(1, Math.ceil(seconds)));
}

/** Refuses an id a remote script could not use as a plain file name. */
export function checkId(id: string): void {
  if (!/^[A-Za-z0-9._-]+$/.test(id)) throw new Error(`unsafe activation id ${JSON.stringify(id)}`);
}
