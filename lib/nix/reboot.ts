// Remote commands of a reboot and of the "needs reboot" test (pure argv; fixed script text): the boot id,
// a reboot that returns before the host goes down, what runs after it, and which of kernel, initrd, kernel
// modules and kernel parameters differ between /run/booted-system and the system profile (the system the
// next boot starts), as NixOS's auto-upgrade decides (nixpkgs nixos/modules/tasks/auto-upgrade.nix compares
// the booted system's kernel, initrd and kernel-modules with the profile's; kernel-params count as well).
import { SYSTEM_PROFILE } from './argv.ts';
import { UNIT_OPTIONS, WHERE_SYSTEMD } from './detached-job.ts';

export const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

/** Prints the boot id, then the store path behind /run/current-system (or an empty line). */
export function bootStateArgv(): string[] {
  return [
    'sh',
    '-c',
    'cat "$1"; readlink -e /run/current-system || echo',
    'nix-hive-boot-state',
    BOOT_ID_FILE,
  ];
}

export function parseBootState(stdout: string): { bootId: string; current: string } {
  const [bootId = '', current = ''] = stdout.split('\n');
  return { bootId: bootId.trim(), current: current.trim() };
}

/**
 * Reboots a second from now, so this command returns while the host is still up. Where systemd runs, a
 * transient timer and service of the manager's (`systemd-run --on-active=1 … systemctl reboot`, as the
 * activation and the watchdog are units of their own, with the same env care): a process left in the ssh
 * login session dies with it under logind's KillUserProcesses (NixOS services.logind.killUserProcesses).
 * Elsewhere `reboot` in a new session (setsid). `path` is unset here: the unit gets the session's PATH.
 */
export function rebootArgv(): string[] {
  return [
    'sh',
    '-c',
    [
      'path=',
      WHERE_SYSTEMD,
      `  exec systemd-run --unit="nix-hive-reboot-$$" --on-active=1 --timer-property=AccuracySec=100ms ${UNIT_OPTIONS} -- \\`,
      '    systemctl reboot < /dev/null > /dev/null',
      'fi',
      'setsid -f sh -c "sleep 1; exec reboot" < /dev/null > /dev/null 2>&1',
    ].join('\n'),
  ];
}

/** The parts of a system that only a reboot brings into effect. */
export const BOOT_PARTS = ['kernel', 'initrd', 'kernel-modules', 'kernel-params'] as const;

/** Prints each of BOOT_PARTS that differs between the booted system and the system profile. */
export function needsRebootArgv(): string[] {
  return [
    'sh',
    '-c',
    [
      "b=/run/booted-system; p=$1; shift; nl='\n'",
      '[ -e "$b" ] && [ -e "$p" ] || exit 0',
      'links=; files=',
      'for f in "$@"; do',
      '  if [ -L "$b/$f" ] || [ -L "$p/$f" ]; then links="$links $f"; else files="$files $f"; fi',
      'done',
      // The links: every target in one readlink (canonical, kept where it exists), in pairs.
      'set --; for f in $links; do set -- "$@" "$b/$f" "$p/$f"; done',
      'if [ "$#" -gt 0 ]; then',
      '  r=$(readlink -m "$@") || r=',
      '  for f in $links; do',
      '    x=${r%%"$nl"*}; r=${r#*"$nl"}; y=${r%%"$nl"*}; r=${r#*"$nl"}',
      '    [ -e "$x" ] || x=; [ -e "$y" ] || y=',
      '    [ "$x" = "$y" ] || echo "$f"',
      '  done',
      'fi',
      // The files (kernel-params): their whole text, read by the shell itself; a missing one reads empty.
      'for f in $files; do',
      '  x=; [ ! -f "$b/$f" ] || while IFS= read -r l || [ -n "$l" ]; do x="$x$l$nl"; done < "$b/$f"',
      '  y=; [ ! -f "$p/$f" ] || while IFS= read -r l || [ -n "$l" ]; do y="$y$l$nl"; done < "$p/$f"',
      '  [ "$x" = "$y" ] || echo "$f"',
      'done',
    ].join('\n'),
    'nix-hive-needs-reboot',
    SYSTEM_PROFILE,
    ...BOOT_PARTS,
  ];
}
