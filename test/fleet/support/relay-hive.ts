// The relay tests' hive (relay.test.ts, relay-access.test.ts): portico is the store host, `hosts` sit behind it
// and substitute from it trusting only the hive key, every store is initialised; system gate runs on portico,
// system web on the rest, signed with the example's key.
import path from 'node:path';
import type { Fleet } from '../harness/fleet.ts';
import { writeStubHive, stubModule, type StubInstance } from './faults.ts';
import { EXAMPLE, hivePublicKey, wireTo } from './seed-fleet.ts';

/** Wires `hosts` to portico, writes `<fleet.dir>/hive` and returns it. */
export async function writeRelayHive(fleet: Fleet, hosts: string[]): Promise<string> {
  const key = await hivePublicKey();
  await Promise.all([
    ...hosts.map((h) => wireTo(fleet.hosts[h]!, fleet.hosts.portico!, key)),
    ...Object.values(fleet.hosts).map((h) => h.exec(['nix-store', '--init'])),
  ]);
  const instances: Record<string, StubInstance> = { portico: { system: 'gate', host: 'portico' } };
  for (const h of hosts) instances[h] = { system: 'web', host: h, via: 'portico', store: 'portico' };
  return writeStubHive(fleet, path.join(fleet.dir, 'hive'), {
    signingKey: path.join(EXAMPLE, 'keys', 'hive.sec'),
    modules: { gate: stubModule(), web: stubModule() },
    instances,
  });
}
