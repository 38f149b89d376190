// What the harness does when a host's power stub asks for a reboot or a halt (see power-stubs.ts): it
// kills every process in the host's mount namespace but the holder (as a reboot would), empties /run, and
// for a reboot writes a new boot_id, boots the profile's system as NixOS' stage 2 would (its `activate`,
// then /run/current-system and /run/booted-system) and starts sshd again. A halted host, or one told
// `never-return`, stays down.
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import { HARNESS_RUN } from './power-stubs.ts';

export type RebootBehaviour = 'return' | 'never-return';

/** The parts of a host the simulation drives. */
export interface PowerHost {
  readonly name: string;
  readonly holderPid: number;
  /** Per-host /run on the deployer. */
  readonly runDir: string;
  /** The file bound over the host's boot_id. */
  readonly bootIdFile: string;
  /** Log of what the harness did, on the deployer (`<host dir>/power.log`). */
  readonly powerLog: string;
  readonly rebootBehaviour: RebootBehaviour;
  nsenter(argv: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  forgetSshd(): void;
  startSshd(): Promise<void>;
}

/** The pending request of a host's stub, if any ('reboot' or 'halt'); taking it removes it. */
export async function takeRequest(host: PowerHost): Promise<'reboot' | 'halt' | undefined> {
  const file = `${host.runDir}${HARNESS_RUN.slice('/run'.length)}/request`;
  if (!existsSync(file)) return undefined;
  const text = (await readFile(file, 'utf8').catch(() => '')).trim();
  await rm(file, { force: true });
  return text === 'reboot' ? 'reboot' : 'halt';
}

/** Every process sharing the holder's mount namespace, the holder excepted. */
function hostPids(holderPid: number): number[] {
  let ns: string;
  try {
    ns = readlinkSync(`/proc/${holderPid}/ns/mnt`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === holderPid || pid === process.pid) continue;
    try {
      if (readlinkSync(`/proc/${pid}/ns/mnt`) === ns) out.push(pid);
    } catch {
      // gone
    }
  }
  return out;
}

async function killAll(host: PowerHost): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const pids = hostPids(host.holderPid);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Empties the host's /run as a reboot would (the harness's own folders stay). */
async function clearRun(runDir: string): Promise<void> {
  for (const e of readdirSync(runDir)) {
    if (e === 'sshd' || e === 'nh-harness') continue;
    await rm(`${runDir}/${e}`, { recursive: true, force: true });
  }
}

export async function simulatePower(host: PowerHost, action: 'reboot' | 'halt'): Promise<void> {
  const log = (line: string) => appendFile(host.powerLog, `${new Date().toISOString()} ${line}\n`);
  await log(`${action} requested`);
  await killAll(host);
  host.forgetSshd();
  await clearRun(host.runDir);
  if (action === 'halt' || host.rebootBehaviour === 'never-return') {
    await log(`down (${action === 'halt' ? 'halted' : 'never returns'})`);
    return;
  }
  await new Promise((r) => setTimeout(r, 300)); // the machine is down for a moment
  await writeFile(host.bootIdFile, `${randomUUID()}\n`); // in place: the bind mount holds this inode
  // Stage 2 of NixOS: activate the profile's system, which becomes current and booted.
  const boot = await host.nsenter([
    'sh',
    '-c',
    [
      's=$(readlink -f /nix/var/nix/profiles/system) || exit 0',
      '[ -x "$s/activate" ] && "$s/activate"',
      'ln -sfn "$s" /run/booted-system && ln -sfn "$s" /run/current-system && echo "$s"',
    ].join('\n'),
  ]);
  await log(`booted ${boot.stdout.trim() || '(no system profile)'} exit ${boot.exitCode}`);
  await host.startSshd();
  await log('up');
}
