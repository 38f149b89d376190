// The example hive (the seed's fleet): portico is the jump box and store host; www-1..3 and storage
// sit behind it. With env NIX_HIVE_FLEET (a JSON file written by the test fleet harness), the real
// addresses, host keys, nixpkgs and client key come from it; otherwise documentation placeholders.
import { readFileSync } from 'node:fs';
import { defineHive, type InstanceConfig } from 'nix-hive';

interface FleetHost {
  address: string;
  internalAddress?: string;
  publicAddress?: string;
  hostKey: string;
}

interface Fleet {
  nixpkgs: string;
  clientKey: string;
  signingKey?: string;
  hosts: Record<string, FleetHost>;
}

const fleetFile = process.env.NIX_HIVE_FLEET;
const fleet: Fleet | undefined = fleetFile ? JSON.parse(readFileSync(fleetFile, 'utf8')) : undefined;

/** Placeholder addresses (RFC 5737 / private), used without a fleet file. */
const placeholders: Record<string, string> = {
  portico: '203.0.113.10',
  'www-1': '10.0.0.11',
  'www-2': '10.0.0.12',
  'www-3': '10.0.0.13',
  storage: '10.0.0.20',
};

/** Address and pinned host key of one host: from the fleet file when there is one. */
function host(name: string): Pick<InstanceConfig, 'address' | 'hostKeys'> {
  const h = fleet?.hosts[name];
  if (fleet && !h) throw new Error(`${fleetFile} has no host "${name}"`);
  return h ? { address: h.address, hostKeys: [h.hostKey] } : { address: placeholders[name]! };
}

/** Hosts behind the jump box: reached through it, substituting from its store. */
const behindPortico = { via: 'portico', store: 'portico' } as const;

export default defineHive({
  paths: { nixpkgs: fleet?.nixpkgs ?? 'channel:nixos-24.11' },
  // Demo-only key pair (see README.md); a fleet file may name its own.
  signingKey: fleet?.signingKey ?? './keys/hive.sec',
  defaults: {
    user: 'root',
    ...(fleet ? { ssh: { IdentityFile: fleet.clientKey } } : {}),
  },
  systems: {
    portico: { modules: ['./modules/portico.nix'] },
    www: { modules: ['./modules/www.nix'] },
    storage: { modules: ['./modules/storage.nix'] },
  },
  instances: {
    portico: { system: 'portico', ...host('portico'), tags: ['edge'] },
    'www-1': { system: 'www', ...host('www-1'), ...behindPortico, tags: ['web'] },
    'www-2': { system: 'www', ...host('www-2'), ...behindPortico, tags: ['web'] },
    'www-3': { system: 'www', ...host('www-3'), ...behindPortico, tags: ['web'] },
    storage: { system: 'storage', ...host('storage'), ...behindPortico, tags: ['storage'] },
  },
});
