// The root filesystem of a NixOS-like host: the files written into the upper layer of its overlay of this
// machine's `/` before systemd boots it (see nixos-host.ts). Each file says which NixOS behaviour it stands
// for and the nixpkgs or systemd source it follows.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';

/** Inside the container: the harness's own files (stage 2, systemd's bin). */
export const FLEET_DIR = '/nix-hive-fleet';
/**
 * The unit PATH: systemd's own bin and nothing else. nixpkgs builds systemd with its DEFAULT_PATH_NORMAL
 * replaced by `${systemd}/bin/` (pkgs/os-specific/linux/systemd/default.nix) and NixOS's system.conf sets
 * `ManagerEnvironment` (nixos/modules/system/boot/systemd.nix): a transient unit finds no coreutils
 * (nixpkgs issue #261691: `ln: command not found` once nixos-rebuild ran the switch under systemd-run).
 */
export const UNIT_PATH = `${FLEET_DIR}/systemd/bin`;
/** Where the host's sshd folder (config, host key, log) is bound inside the container. */
export const SSHD_DIR = '/etc/ssh/nix-hive';
/** Units this machine enables that a fleet host keeps; every other enabled unit is masked in the overlay. */
const KEEP = new Set(['ssh.service', 'sshd.service', 'nix-daemon.service', 'nix-daemon.socket']);

export interface NixosRootOptions {
  name: string;
  /** logind's KillUserProcesses (NixOS: services.logind.killUserProcesses, default false). */
  killUserProcesses: boolean;
  /** sshd_config of the host (see nixosSshdConfig). */
  sshdConfig: string;
  /** The deployer's key for /etc/ssh/authorized_keys.d/root, when sshd reads keys from there. */
  etcAuthorizedKey?: string;
}

/** This machine's systemd binaries (`dpkg -L systemd`), the only programs on a unit's PATH. */
function systemdBinaries(): string[] {
  const listed = execFileSync('dpkg', ['-L', 'systemd'], { encoding: 'utf8' }).split('\n');
  return listed.filter((p) => /^\/(usr\/)?bin\/[^/]+$/.test(p) && existsSync(p));
}

/** Units this machine enables (its /etc/systemd/system/*.wants), to be masked unless kept. */
function enabledUnits(): string[] {
  const base = '/etc/systemd/system';
  const out = new Set<string>();
  for (const d of existsSync(base) ? readdirSync(base) : []) {
    if (!d.endsWith('.wants')) continue;
    for (const u of readdirSync(`${base}/${d}`)) out.add(u);
  }
  return [...out].filter((u) => !KEEP.has(u));
}

/**
 * NixOS's stage 2 where the deploy sees it (nixos/modules/system/boot/stage-2-init.sh): /run/keys as
 * nixos/modules/tasks/filesystems.nix mounts it (a ramfs, `nosuid,nodev,mode=750`, group `keys`, which
 * nixos/modules/system/boot/systemd.nix creates), then the system profile's `activate` and
 * /run/booted-system. Runs as a oneshot unit before sshd; its own PATH, as stage 2 has one.
 */
const STAGE_2 = `#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
getent group keys > /dev/null || groupadd -r keys
mkdir -p /run/keys
mount -t ramfs -o nosuid,nodev,mode=750 ramfs /run/keys
chown root:keys /run/keys
chmod 0750 /run/keys
s=$(readlink -f /nix/var/nix/profiles/system) || exit 0
[ -n "$s" ] && [ -e "$s" ] || exit 0
if [ -x "$s/activate" ]; then systemConfig=$s "$s/activate" || echo "stage 2: activate failed ($?)" >&2; fi
ln -sfn "$s" /run/current-system
ln -sfn "$s" /run/booted-system
`;

const STAGE_2_UNIT = `[Unit]
Description=nix-hive fleet: NixOS stage 2 (keys, activate, booted-system)
DefaultDependencies=no
After=local-fs.target systemd-tmpfiles-setup.service systemd-sysusers.service
Before=sysinit.target ssh.service nix-daemon.service nix-daemon.socket

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${FLEET_DIR}/stage-2.sh

[Install]
WantedBy=sysinit.target
`;

/** Writes the overlay's upper layer for one host. `upper` is the upper folder on the deployer. */
export async function writeNixosRoot(upper: string, o: NixosRootOptions): Promise<void> {
  const w = async (path: string, text: string, mode = 0o644): Promise<void> => {
    await mkdir(`${upper}${path.slice(0, path.lastIndexOf('/'))}`, { recursive: true });
    await writeFile(`${upper}${path}`, text, { mode });
    await chmod(`${upper}${path}`, mode);
  };
  // systemd-firstboot fails without one; each host its own (a copy of this machine's would be shared).
  await w('/etc/machine-id', `${randomBytes(16).toString('hex')}\n`, 0o444);
  await w('/etc/hostname', `${o.name}\n`);
  const sys = `${upper}/etc/systemd/system`;
  await mkdir(sys, { recursive: true });
  for (const u of enabledUnits()) await symlink('/dev/null', `${sys}/${u}`);
  await w(
    '/etc/systemd/system.conf.d/nixos-environment.conf',
    `# nix-hive fleet: NixOS's unit environment (see nixos-root.ts)\n[Manager]\nDefaultEnvironment=PATH=${UNIT_PATH}\nManagerEnvironment=PATH=${UNIT_PATH}\n`,
  );
  await w(
    '/etc/systemd/logind.conf.d/nixos.conf',
    `[Login]\nKillUserProcesses=${o.killUserProcesses ? 'yes' : 'no'}\n`,
  );
  await mkdir(`${upper}${UNIT_PATH}`, { recursive: true });
  const seen = new Set<string>();
  for (const p of systemdBinaries()) {
    const base = p.slice(p.lastIndexOf('/') + 1);
    if (seen.has(base)) continue;
    seen.add(base);
    await symlink(realpathSync(p), `${upper}${UNIT_PATH}/${base}`);
  }
  await w(`${FLEET_DIR}/stage-2.sh`, STAGE_2, 0o755);
  await w('/etc/systemd/system/nixos-stage-2.service', STAGE_2_UNIT);
  // Enabled whatever this machine enables (CI's does not run them): sshd, and nix-daemon by its socket.
  const wants: Array<[string, string]> = [
    ['sysinit.target.wants', '../nixos-stage-2.service'],
    ['multi-user.target.wants', '/lib/systemd/system/ssh.service'],
    ['sockets.target.wants', '/lib/systemd/system/nix-daemon.socket'],
  ];
  for (const [dir, target] of wants) {
    await mkdir(`${sys}/${dir}`, { recursive: true });
    const link = `${sys}/${dir}/${target.slice(target.lastIndexOf('/') + 1)}`;
    if (!existsSync(link)) await symlink(target, link);
  }
  // Debian's nix-daemon tmpfiles rule keeps the socket to group nix-users (0770); NixOS leaves it open
  // (nixos/modules/services/system/nix-daemon.nix) and lets nix.conf's allowed-users decide.
  await w(
    '/etc/tmpfiles.d/nix-daemon.conf',
    'd /nix/var/nix/daemon-socket 0755 root root\nd /nix/var/nix/gcroots/per-user 1777\nd /nix/var/nix/profiles/per-user 1777\n',
  );
  await w('/etc/ssh/sshd_config', o.sshdConfig);
  // Debian's ssh.service passes $SSHD_OPTS: the log goes to the host's folder on the deployer.
  await w('/etc/default/ssh', `SSHD_OPTS="-E ${SSHD_DIR}/sshd.log"\n`);
  if (o.etcAuthorizedKey) await w('/etc/ssh/authorized_keys.d/root', `${o.etcAuthorizedKey}\n`, 0o444);
}
