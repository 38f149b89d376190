// Remote commands of a reboot and of the "needs reboot" test (pure argv; fixed script text): the boot id,
// a reboot that returns before the host goes down, what runs after it, and which of kernel, initrd and
// kernel modules differ between /run/booted-system and /run/current-system.

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

/** Starts `reboot` a second from now in its own session, so this command returns while the host is still up. */
export function rebootArgv(): string[] {
  return ['sh', '-c', 'setsid -f sh -c "sleep 1; exec reboot" < /dev/null > /dev/null 2>&1'];
}

/** Prints each of kernel, initrd, kernel-modules that differs between the booted and the current system. */
export function needsRebootArgv(): string[] {
  return [
    'sh',
    '-c',
    [
      'b=/run/booted-system; c=/run/current-system',
      '[ -e "$b" ] && [ -e "$c" ] || exit 0',
      'for f in kernel initrd kernel-modules; do',
      '  [ "$(readlink -e "$b/$f" || true)" = "$(readlink -e "$c/$f" || true)" ] || echo "$f"',
      'done',
    ].join('\n'),
  ];
}
