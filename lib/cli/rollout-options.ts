// The rollout options of `deploy` and `plan`: confirmation and rollback, waves with a failure budget, and
// reboot. Parsed once here into the deploy's RolloutOptions and the plan's WaveOptions; bad values are
// InputError naming the flag (exit 2, nothing started).
import type { Command } from 'commander';
import { inputError } from '../errors.ts';
import type { RolloutOptions } from '../deploy/context.ts';
import { changesRunningSystem, type Goal } from '../nix/goal.ts';
import { parseSize, type Size, type WaveOptions } from '../plan/waves.ts';
import { parseCount, parseSeconds } from './options.ts';

export interface RolloutFlags {
  confirmTimeout?: string;
  rollback?: boolean;
  rollbackOnDegraded?: boolean;
  specialisation?: string;
  canary?: string;
  batch?: string;
  maxFailed?: string;
  pause?: string;
  /** `--reboot` (true) or `--reboot=auto`. */
  reboot?: boolean | string;
  rebootTimeout: string;
}

export function addRolloutOptions(cmd: Command): Command {
  return cmd
    .option(
      '--confirm-timeout <s>',
      "seconds a host waits for the deployer's confirmation after switch/test before rolling itself back (default: the inventory's confirmTimeout, else 30)",
    )
    .option(
      '--no-rollback',
      'no watchdog, no automatic rollback: a failed check or activation is only reported',
    )
    .option(
      '--rollback-on-degraded',
      'also roll back a host whose new system is active but some of its units failed (switch-to-configuration exit 4); without it such a host is reported degraded and kept',
    )
    .option(
      '--specialisation <name>',
      "activate the built system's specialisation/<name> (switch or test; the system profile still gets the whole system, as with nixos-rebuild)",
    )
    .option('--canary <n>', 'activate n hosts first, as a wave of their own')
    .option('--batch <n|n%>', 'hosts per later wave (a count, or a percentage of the targets)')
    .option(
      '--max-failed <n|n%>',
      'start no new wave once this many hosts failed or were rolled back (default 1)',
    )
    .option('--pause <s>', 'seconds to wait between waves')
    .option(
      '--reboot [auto]',
      'set the profile (goal boot), reboot, and wait for the host to come back with the new system; --reboot=auto: only the hosts whose diff says their kernel, initrd, modules or parameters change (the diff is shown first)',
    )
    .option(
      '--reboot-timeout <s>',
      'seconds to wait for a rebooted host before it counts as unreachable',
      '300',
    );
}

function size(flag: string, value: string | undefined): Size | undefined {
  if (value === undefined) return undefined;
  const s = parseSize(value);
  if (!s) throw inputError(flag, `must be a whole number ≥ 1 or a percentage such as 20%, got "${value}"`);
  return s;
}

export function waveOptions(flags: RolloutFlags): WaveOptions | undefined {
  const o: WaveOptions = {
    canary: flags.canary === undefined ? undefined : parseCount('--canary', flags.canary),
    batch: size('--batch', flags.batch),
    maxFailed: size('--max-failed', flags.maxFailed),
    pauseS: flags.pause === undefined ? undefined : parseSeconds('--pause', flags.pause),
  };
  return Object.values(o).some((v) => v !== undefined) ? o : undefined;
}

/** `--specialisation <name>`: a plain name, with a goal that activates (checked before anything starts). */
export function specialisationOption(flags: RolloutFlags, goal: Goal): string | undefined {
  const name = flags.specialisation;
  if (name === undefined) return undefined;
  if (!/^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$/.test(name))
    throw inputError('--specialisation', `must be a specialisation name such as "blue", got "${name}"`);
  if (!changesRunningSystem(goal) || flags.reboot)
    throw inputError(
      '--specialisation',
      `activates a specialisation now: use it with --goal switch or test, not ${flags.reboot ? '--reboot' : goal}`,
    );
  return name;
}

/** The goal with `--reboot` (boot; an explicit other goal is bad input) and the deploy's rollout options. */
export function rolloutOptions(
  flags: RolloutFlags,
  goal: Goal,
  goalGiven: boolean,
): { goal: Goal; rollout: RolloutOptions } {
  const rollout: RolloutOptions = { rollback: flags.rollback !== false };
  if (flags.rollbackOnDegraded && !rollout.rollback)
    throw inputError('--rollback-on-degraded', 'cannot be combined with --no-rollback');
  if (flags.rollbackOnDegraded) rollout.rollbackOnDegraded = true;
  if (flags.confirmTimeout !== undefined)
    rollout.confirmTimeoutS = parseCount('--confirm-timeout', flags.confirmTimeout);
  const rebootTimeout = parseSeconds('--reboot-timeout', flags.rebootTimeout);
  if (!flags.reboot) return { goal, rollout };
  if (flags.reboot === 'auto') {
    rollout.reboot = { timeoutS: rebootTimeout, only: new Set() };
    return { goal, rollout };
  }
  if (goalGiven && goal !== 'boot')
    throw inputError(
      '--reboot',
      `reboots into the new system with goal boot; it cannot be combined with --goal ${goal}`,
    );
  rollout.reboot = { timeoutS: rebootTimeout };
  return { goal: 'boot', rollout };
}

/**
 * `--reboot [auto]` takes an optional value, so commander reads `--reboot www-1` as the value `www-1`: a value
 * other than `auto` is the pattern it was, handed back (at the front) and `--reboot` a plain flag.
 */
export function rebootPatterns(flags: RolloutFlags, patterns: string[]): string[] {
  if (typeof flags.reboot !== 'string' || flags.reboot === 'auto') return patterns;
  const pattern = flags.reboot;
  flags.reboot = true;
  return [pattern, ...patterns];
}
