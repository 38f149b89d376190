// Where systems are built (pure): a system whose `build.host` names an instance (or an `ssh-ng://` URI, shown
// by its host name) is realised there, signed there, and the copies that take it from no store (store hosts,
// instances without a store) are pushed by that build host, so the closure never crosses the deployer's
// uplink. The DAG shows it: `build www@builder`, `sign www@builder`, `copy www builder → portico`.
// Copies behind a store are unchanged (they substitute).
import type { ResolvedHive } from '../inventory/types.ts';
import type { Step } from './types.ts';
import { buildHostName } from '../inventory/resolve/build-host-uri.ts';

/** The build host of a system: an instance of the hive, or the host of an `ssh-ng://` URI. */
export function buildHostOf(hive: ResolvedHive, system: string): string | undefined {
  return buildHostName(hive, hive.systems[system]?.build?.host);
}

/** Marks the steps of systems built elsewhere (mutates the freshly planned steps). */
export function placeOnBuildHosts(hive: ResolvedHive, steps: Step[]): void {
  for (const step of steps) {
    if (step.kind === 'activate') continue;
    const host = buildHostOf(hive, step.system);
    if (host === undefined) continue;
    if (step.kind === 'build' || step.kind === 'sign') step.on = host;
    else if (step.kind === 'copy' && !step.from) step.by = host;
  }
}
