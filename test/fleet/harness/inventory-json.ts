// The fleet as the example hive reads it (env NIX_HIVE_FLEET): stub nixpkgs path, client key, and each
// host's addresses and pinned host key.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Absolute path of the stub nixpkgs fixture (test/fixtures/nixpkgs). */
export const STUB_NIXPKGS = fileURLToPath(new URL('../../fixtures/nixpkgs', import.meta.url));

export interface FleetJsonHost {
  address: string;
  publicAddress?: string;
  internalAddress?: string;
  hostKey: string;
}

export interface FleetJson {
  nixpkgs: string;
  clientKey: string;
  hosts: Record<string, FleetJsonHost>;
}

export interface InventorySource {
  clientKey: string;
  hosts: Record<string, FleetJsonHost>;
}

export function fleetJson(fleet: InventorySource): FleetJson {
  const hosts: Record<string, FleetJsonHost> = {};
  for (const [name, h] of Object.entries(fleet.hosts)) {
    hosts[name] = {
      address: h.address,
      ...(h.publicAddress ? { publicAddress: h.publicAddress } : {}),
      ...(h.internalAddress ? { internalAddress: h.internalAddress } : {}),
      hostKey: h.hostKey,
    };
  }
  return { nixpkgs: STUB_NIXPKGS, clientKey: fleet.clientKey, hosts };
}

export async function writeFleetJson(fleet: InventorySource, path: string): Promise<void> {
  await writeFile(path, `${JSON.stringify(fleetJson(fleet), null, 2)}\n`);
}
