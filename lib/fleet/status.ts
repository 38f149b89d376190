// `status`: asks each instance, in parallel, what it runs (`Host.currentSystem`: where /run/current-system
// and its system profile point), and compares with what hive.state says it should run. The hosts are the
// truth; state only names the expectation.
import type { ResolvedHive } from '../inventory/types.ts';
import type { CurrentSystem } from '../host/host.ts';
import type { HiveState } from '../state/types.ts';
import { mapLimit } from '../util/map-limit.ts';

export type Sync = 'in-sync' | 'drifted' | 'unreachable' | 'unknown';

export interface InstanceStatus {
  instance: string;
  system: string;
  status: Sync;
  /** What the instance should run: the system's last build, else the instance's last deployed path. */
  expected: string | undefined;
  current: string | undefined;
  profile: string | undefined;
  detail: string | undefined;
  /** Kernel, initrd or kernel modules of the current system that differ from the booted one's. */
  needsReboot?: string[];
}

export function expectedPath(state: HiveState, hive: ResolvedHive, instance: string): string | undefined {
  const system = hive.instances[instance]!.system;
  return state.systems[system]?.outPath ?? state.instances[instance]?.target;
}

/**
 * In sync when both the current system and the profile are the expected system; a current system that is
 * the expected system's `specialisation/<name>` (profile: the expected system) is in sync too, running it.
 */
export function compareStatus(
  expected: string | undefined,
  current: string | undefined,
  profile: string | undefined,
  specialisation?: string,
): { status: Sync; detail: string | undefined } {
  if (!expected) return { status: 'unknown', detail: 'hive.state has no build or deploy for it' };
  if (specialisation && profile === expected)
    return { status: 'in-sync', detail: `running specialisation ${specialisation} (${current})` };
  const off: string[] = [];
  if (current !== expected) off.push(`/run/current-system is ${current || '(none)'}`);
  if (profile !== expected) off.push(`the system profile is ${profile || '(none)'}`);
  return off.length
    ? { status: 'drifted', detail: `${off.join('; ')}; expected ${expected}` }
    : { status: 'in-sync', detail: undefined };
}

export async function fleetStatus(
  hive: ResolvedHive,
  targets: string[],
  options: {
    currentSystem: (
      instance: string,
      o: { timeoutMs?: number; signal?: AbortSignal },
    ) => Promise<CurrentSystem>;
    state: HiveState;
    parallel: number;
    timeoutMs?: number;
    /** Starts no more queries (the instances not asked yet are `unknown`: interrupted). */
    stop?: AbortSignal;
    /** Stops the running queries too. */
    signal?: AbortSignal;
    /** Which of kernel, initrd, kernel-modules differ from the booted system's (see deploy/activate/reboot.ts). */
    needsReboot?: (instance: string) => Promise<string[]>;
  },
): Promise<InstanceStatus[]> {
  return mapLimit(targets, options.parallel, async (instance): Promise<InstanceStatus> => {
    const system = hive.instances[instance]!.system;
    const expected = expectedPath(options.state, hive, instance);
    const none = { instance, system, expected, current: undefined, profile: undefined };
    if (options.stop?.aborted || options.signal?.aborted)
      return { ...none, status: 'unknown', detail: 'interrupted before it was asked' };
    let running: CurrentSystem;
    try {
      running = await options.currentSystem(instance, {
        timeoutMs: options.timeoutMs,
        signal: options.signal,
      });
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      return { ...none, status: options.signal?.aborted ? 'unknown' : 'unreachable', detail };
    }
    const current = running.current ?? undefined;
    const profile = running.profile ?? undefined;
    const row: InstanceStatus = {
      instance,
      system,
      expected,
      current,
      profile,
      ...compareStatus(expected, current, profile, running.specialisation),
    };
    const reboot = (await options.needsReboot?.(instance).catch(() => [])) ?? [];
    if (reboot.length) row.needsReboot = reboot;
    return row;
  });
}
