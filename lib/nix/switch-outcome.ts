// What a switch-to-configuration run means, from its exit status and output, per NixOS's contract (nixpkgs
// pkgs/by-name/sw/switch-to-configuration-ng/src/src/main.rs): 0 done; 4 the new system is active but units
// failed (`warning: the following units failed: …`, or `Failed to restart/start/reload …`); 100 the new system
// applies after a reboot (an incompatible init; for `switch` the boot loader is already installed); `Could not
// acquire lock` another switch holds /run/nixos/switch-to-configuration.lock (it fails at once, changing
// nothing); anything else failed. Pure: the deploy decides what to do with each kind.
import type { Goal } from './goal.ts';

export const SWITCH_LOCK = '/run/nixos/switch-to-configuration.lock';

export type SwitchOutcome =
  | { kind: 'ok' }
  | { kind: 'degraded'; failedUnits: string[]; reason: string }
  | { kind: 'needs-reboot'; reason: string }
  | { kind: 'busy'; reason: string }
  | { kind: 'failed'; reason: string };

export type SwitchOutcomeKind = SwitchOutcome['kind'];

const FAILED_UNITS = /^warning: the following units failed: (.+)$/;
const FAILED_JOB = /^Failed to (?:start|restart|reload|stop) (\S+)/;

export function classifySwitch(goal: Goal, status: string, lines: string[]): SwitchOutcome {
  const what = `switch-to-configuration ${goal}`;
  if (status === '0') return { kind: 'ok' };
  if (lines.some((l) => l.trim() === 'Could not acquire lock')) {
    return {
      kind: 'busy',
      reason: `${what}: another switch holds ${SWITCH_LOCK} (exit ${status}); nothing was switched`,
    };
  }
  if (status === '100') {
    return {
      kind: 'needs-reboot',
      reason: `${what} exited with code 100: the new system takes effect after a reboot`,
    };
  }
  if (status === '4') {
    const listed = lines
      .map((l) => FAILED_UNITS.exec(l.trim())?.[1])
      .filter((u): u is string => u !== undefined)
      .flatMap((u) => u.split(', '));
    const jobs = lines.map((l) => FAILED_JOB.exec(l.trim())?.[1]).filter((u): u is string => u !== undefined);
    const failedUnits = [...new Set([...listed, ...jobs].map((u) => u.replace(/:$/, '')))];
    return {
      kind: 'degraded',
      failedUnits,
      reason: failedUnits.length
        ? `${what} exited with code 4: the following units failed: ${failedUnits.join(', ')}`
        : `${what} exited with code 4: some units failed${meaningful(lines) ? ` (${meaningful(lines)})` : ''}`,
    };
  }
  const line = meaningful(lines);
  return { kind: 'failed', reason: `${what} exited with code ${status}${line ? `: ${line}` : ''}` };
}

/** The line that says why: the last `error…` line, else the last line. */
function meaningful(lines: string[]): string | undefined {
  const shown = lines.map((l) => l.trim()).filter((l) => l !== '');
  return shown.filter((l) => /^error\b/i.test(l)).at(-1) ?? shown.at(-1);
}
