// The example hive (the seed's fleet): portico is the jump box and store host; www-1..3 (imported from
// inventory/www.yaml) and storage sit behind it. With env NIX_HIVE_FLEET (a JSON file written by the test
// fleet harness), the real addresses, host keys, nixpkgs and client key come from it, the addresses and
// keys through `overrides`; otherwise documentation placeholders.
import { readFileSync } from 'node:fs';
import { defineHive, type InstanceOverride } from 'nix-hive';

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
  /** portico's substituter private key (`just demo` makes one per fleet). */
  substituterKey?: string;
  hosts: Record<string, FleetHost>;
}

const fleetFile = process.env.NIX_HIVE_FLEET;
const fleet: Fleet | undefined = fleetFile ? JSON.parse(readFileSync(fleetFile, 'utf8')) : undefined;

/** Hosts behind the jump box: reached through it, substituting from its store. */
const behindPortico = { via: 'portico', store: 'portico' } as const;

/** With a fleet file, each host's real address and pinned key replace the placeholder (config or inventory). */
const fleetAddresses: Record<string, InstanceOverride> = Object.fromEntries(
  Object.entries(fleet?.hosts ?? {}).map(([name, h]) => [
    name,
    { address: h.address, hostKeys: [h.hostKey] },
  ]),
);

/**
 * The hosts behind portico log in to it with this key to substitute (behind-portico.nix). It is a secret, so
 * it never goes through the Nix store: nix-hive uploads it before their copy and activation. Not in the repo:
 * `just demo` makes one per fleet; for a real fleet, point `file` (or a `command` such as `pass show …`) at yours.
 */
const porticoSubstituter = {
  'portico-substituter': {
    file: fleet?.substituterKey ?? './keys/portico-substituter',
    path: '/etc/nix/portico-substituter',
    mode: '0600',
  },
};

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
    www: { modules: ['./modules/www.nix'], keys: porticoSubstituter },
    storage: { modules: ['./modules/storage.nix'], keys: porticoSubstituter },
  },
  // Placeholder addresses (RFC 5737 / private) unless a fleet file overrides them.
  instances: {
    portico: { system: 'portico', address: '203.0.113.10', tags: ['edge'] },
    storage: { system: 'storage', address: '10.0.0.20', ...behindPortico, tags: ['storage'] },
  },
  // www-1..3 come from inventory/www.yaml.
  inventory: ['inventory/*.yaml'],
  overrides: fleetAddresses,
});
