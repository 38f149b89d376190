// One fleet per test file, the setup the fleet tests repeated: the hosts started in `before` (a name and its
// network each, or the rest of a HostSpec), the real CLI's environment for them (cliEnv), then the file's own
// `setup`; the fleet disposed in `after`, whatever happened. useSeedFleet does the same for the seed's fleet.
import { after, before } from 'node:test';
import { startFleet, type Fleet } from '../harness/fleet.ts';
import type { FleetOptions, HostSpec } from '../harness/types.ts';
import { cliEnv } from './faults.ts';
import { startSeedFleet, type SeedFleet } from './seed-fleet.ts';

export type FleetHosts = Record<string, HostSpec['network'] | Omit<HostSpec, 'name'>>;

export interface FleetUse {
  fleet: Fleet;
  /** The environment the real CLI runs with against the fleet (its nix settings, a private HOME). */
  env: Record<string, string>;
}

/**
 * Starts the fleet before the file's tests and disposes it after them. `setup` runs once it is up (write the
 * file's hives there, or copy `fleet` and `env` into the file's own variables); the returned handle's fields
 * are set by then too.
 */
export function useFleet(
  hosts: FleetHosts,
  setup?: (use: FleetUse) => unknown,
  options: Omit<FleetOptions, 'hosts'> = {},
): FleetUse {
  const use = {} as FleetUse;
  before(async () => {
    const specs = Object.entries(hosts).map(([name, h]) =>
      typeof h === 'string' ? { name, network: h } : { name, ...h },
    );
    use.fleet = await startFleet({ ...options, hosts: specs });
    use.env = cliEnv(use.fleet);
    await setup?.(use);
  });
  after(async () => {
    await use.fleet?.dispose();
  });
  return use;
}

/**
 * The seed's fleet (portico and the hosts behind it, seed-fleet.ts) for the file's tests, started in `before`
 * (`wired`: the hosts that substitute from portico, all by default), then `setup`; disposed in `after`. The
 * returned handle is filled in by the time the tests run.
 */
export function useSeedFleet(
  options: { wired?: string[] } = {},
  setup?: (seed: SeedFleet) => unknown,
): SeedFleet {
  const seed = {} as SeedFleet;
  before(async () => {
    Object.assign(seed, await startSeedFleet(options));
    await setup?.(seed);
  });
  after(async () => {
    await seed.fleet?.dispose();
  });
  return seed;
}
