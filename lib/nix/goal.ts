// Activation goals: a closed union with the predicates the orchestration asks (never raw string compares).

export const GOALS = ['switch', 'boot', 'test', 'dry-activate'] as const;
export type Goal = (typeof GOALS)[number];

export function isGoal(value: string): value is Goal {
  return (GOALS as readonly string[]).includes(value);
}

/** Does the goal set the system profile (so the next boot uses the new system)? */
export function setsProfile(goal: Goal): boolean {
  return goal === 'switch' || goal === 'boot';
}

/** Does the goal change the running system (`/run/current-system`)? */
export function changesRunningSystem(goal: Goal): boolean {
  return goal === 'switch' || goal === 'test';
}

/** Does the goal leave the host exactly as it was (a preview only)? */
export function isPreview(goal: Goal): boolean {
  return goal === 'dry-activate';
}
