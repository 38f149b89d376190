// Synthetic inventories for the planning-at-scale and overhead sections: `n` instances over 100 systems
// and 50 store hosts. The stores form jump chains of 5 (each reached through, and substituting from, the
// one before it; the chain's head is public); every other instance sits behind one store (via + store).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { HiveConfig, InstanceConfig } from '../lib/inventory/types.ts';

export interface SyntheticShape {
  instances: number;
  systems: number;
  stores: number;
  /** Stores per jump chain. */
  chain: number;
}

export const SCALE_SHAPE = { systems: 100, stores: 50, chain: 5 } as const;

function address(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

export const storeName = (k: number) => `store-${k}`;
export const systemName = (k: number) => `sys-${k}`;

/** The HiveConfig (module paths relative to `moduleDir`, which `writeSyntheticFiles` fills). */
export function syntheticConfig(shape: SyntheticShape, moduleDir = './modules'): HiveConfig {
  const systems: HiveConfig['systems'] = {};
  for (let k = 0; k < shape.systems; k++) systems[systemName(k)] = { modules: [`${moduleDir}/sys-${k}.nix`] };
  const instances: Record<string, InstanceConfig> = {};
  for (let k = 0; k < shape.stores; k++) {
    const prev = k % shape.chain === 0 ? undefined : storeName(k - 1);
    instances[storeName(k)] = {
      system: systemName(k % shape.systems),
      address: address(k + 1),
      tags: ['store'],
      ...(prev ? { via: prev, store: prev } : {}),
    };
  }
  for (let i = 0; i < shape.instances - shape.stores; i++) {
    const store = storeName(i % shape.stores);
    instances[`host-${i}`] = {
      system: systemName(i % shape.systems),
      address: address(shape.stores + i + 1),
      via: store,
      store,
      tags: [`rack-${i % 40}`],
    };
  }
  return {
    paths: { nixpkgs: './nixpkgs' },
    signingKey: './hive.sec',
    defaults: { user: 'root', port: 22 },
    systems,
    instances,
  };
}

/** Writes the config as `hive.config.json` with the module files and key it names; returns the file. */
export async function writeSyntheticFiles(dir: string, shape: SyntheticShape): Promise<string> {
  await mkdir(path.join(dir, 'modules'), { recursive: true });
  await mkdir(path.join(dir, 'nixpkgs'), { recursive: true });
  for (let k = 0; k < shape.systems; k++)
    await writeFile(
      path.join(dir, 'modules', `sys-${k}.nix`),
      `{ ... }: { networking.hostName = "sys-${k}"; }\n`,
    );
  // Shaped like a Nix secret key (name:base64 of 64 bytes); nothing is ever signed with it.
  await writeFile(path.join(dir, 'hive.sec'), `bench-synthetic-1:${randomBytes(64).toString('base64')}\n`);
  const file = path.join(dir, 'hive.config.json');
  await writeFile(file, JSON.stringify(syntheticConfig(shape)));
  return file;
}
