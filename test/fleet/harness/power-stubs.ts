// Safety of the fleet: hosts share this machine's kernel, so inside each host's mount namespace every
// reboot path (`reboot`, `shutdown`, `systemctl`, `halt`, `poweroff`, `init`, `telinit` in /sbin, /usr/sbin,
// /bin, /usr/bin and /usr/local/*) is covered by a harmless stub, and /proc/sys/kernel/random/boot_id and
// /proc/sysrq-trigger by per-host files. The stub records its call in /run/nh-harness/calls and asks the
// harness (a request file) to simulate a reboot or a halt; the harness verifies every cover and refuses
// to start a host where one is missing.
import { createHash, randomUUID } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';

/** The commands that can stop or restart a Linux machine. */
export const POWER_COMMANDS = ['reboot', 'shutdown', 'systemctl', 'halt', 'poweroff', 'init', 'telinit'];
/** Where they may live. Symlinked folders (Debian's /sbin → /usr/sbin) are resolved to the real one. */
export const POWER_DIRS = ['/sbin', '/usr/sbin', '/bin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];
/** Kernel files that reveal or trigger a reboot: each gets a per-host file bound over it. */
export const BOOT_ID = '/proc/sys/kernel/random/boot_id';
export const SYSRQ = '/proc/sysrq-trigger';
/** Inside the host: where the stub records calls and leaves its request. */
export const HARNESS_RUN = '/run/nh-harness';

/**
 * The stub. Never touches the kernel: records `<name> <args>` and, for a reboot or halt, leaves a request
 * the harness acts on (it kills the host's processes, so like a real reboot this call does not return).
 */
export const STUB = `#!/bin/sh
# nix-hive test fleet: harmless stand-in for reboot/shutdown/systemctl/halt/poweroff/init/telinit.
name=\${0##*/}
d=${HARNESS_RUN}
mkdir -p "$d"
if [ $# -gt 0 ]; then echo "$name $*"; else echo "$name"; fi >> "$d/calls"
action=
case "$name" in
  reboot) action=reboot ;;
  halt | poweroff) action=halt ;;
  shutdown)
    action=halt
    for a in "$@"; do case "$a" in -r | --reboot) action=reboot ;; -c) action= ;; esac; done ;;
  init | telinit)
    case "\${1-}" in 6) action=reboot ;; 0) action=halt ;; esac ;;
  systemctl)
    for a in "$@"; do
      case "$a" in
        reboot | kexec | soft-reboot) action=reboot; break ;;
        halt | poweroff) action=halt; break ;;
      esac
    done ;;
esac
if [ -n "$action" ]; then
  echo "$action" > "$d/request.tmp" && mv "$d/request.tmp" "$d/request"
  echo "nix-hive test fleet: $action simulated (stub $0)" >&2
  sleep 30
fi
exit 0
`;

export const STUB_SHA256 = createHash('sha256').update(STUB).digest('hex');

/** Per-host files of the cover: the stub folder (lower layer of each overlay), boot_id, sysrq. */
export interface PowerCover {
  stubDir: string;
  bootId: string;
  sysrq: string;
}

export async function preparePowerCover(hostDir: string): Promise<PowerCover> {
  const stubDir = `${hostDir}/power-stubs`;
  await mkdir(stubDir, { recursive: true, mode: 0o755 });
  for (const name of POWER_COMMANDS) {
    await writeFile(`${stubDir}/${name}`, STUB);
    await chmod(`${stubDir}/${name}`, 0o755);
  }
  const bootId = `${hostDir}/boot_id`;
  await writeFile(bootId, `${randomUUID()}\n`);
  const sysrq = `${hostDir}/sysrq-trigger`;
  await writeFile(sysrq, '');
  return { stubDir, bootId, sysrq };
}

/**
 * Shell run inside the host's namespace: for each real folder, a read-only overlay with the stubs on top
 * (existing files keep working, missing stub names appear), then the kernel files. `set -e`: any failure fails.
 */
export function mountScript(realDirs: string[], cover: PowerCover): string {
  const lines = ['set -e'];
  for (const dir of realDirs) {
    lines.push(`mount -t overlay nh-power-stubs -o 'lowerdir=${cover.stubDir}:${dir}' '${dir}'`);
  }
  lines.push(`mount --bind '${cover.bootId}' ${BOOT_ID}`);
  // Absent where the machine hides it (containers): then nothing can write it.
  lines.push(`if [ -e ${SYSRQ} ]; then mount --bind '${cover.sysrq}' ${SYSRQ}; fi`);
  return lines.join('\n');
}

/** Shell that prints, inside the host, `<sha256> <path>` for every power path and kernel file. */
export function verifyScript(): string {
  const paths = POWER_DIRS.flatMap((d) => POWER_COMMANDS.map((c) => `${d}/${c}`));
  return [
    `for p in ${paths.join(' ')}; do`,
    '  h=$(sha256sum < "$p" 2> /dev/null | cut -d" " -f1); echo "${h:-missing} $p"',
    'done',
    `echo "$(cat ${BOOT_ID}) ${BOOT_ID}"`,
    `if [ -e ${SYSRQ} ]; then echo "$(stat -c %d:%i ${SYSRQ}) ${SYSRQ}"; else echo "absent ${SYSRQ}"; fi`,
  ].join('\n');
}

/** Checks the verify script's output: every power path is the stub, boot_id and sysrq are the host's files. */
export function checkVerifyOutput(
  output: string,
  expect: { bootId: string; sysrqDevIno: string },
  present: Set<string>,
): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const line of output.trim().split('\n')) {
    const at = line.lastIndexOf(' ');
    seen.set(line.slice(at + 1), line.slice(0, at));
  }
  for (const d of POWER_DIRS) {
    if (!present.has(d)) continue; // no such folder on this machine: nothing there to run
    for (const c of POWER_COMMANDS) {
      const h = seen.get(`${d}/${c}`);
      if (h !== STUB_SHA256) problems.push(`${d}/${c} is not the stub (${h ?? 'not checked'})`);
    }
  }
  if (seen.get(BOOT_ID) !== expect.bootId) problems.push(`${BOOT_ID} is not the host's file`);
  const sysrq = seen.get(SYSRQ);
  if (sysrq !== 'absent' && sysrq !== expect.sysrqDevIno) problems.push(`${SYSRQ} is not the host's file`);
  return problems;
}
