// Hand-built ResolvedHive values for pure unit tests (planner, argv, ssh config) that must not
// depend on the loader.
import type { ResolvedHive, ResolvedInstance, StoreRef } from '../../lib/inventory/types.ts';

export function instance(
  name: string,
  system: string,
  extra: Partial<Omit<ResolvedInstance, 'store'>> & { store?: string | StoreRef } = {},
): ResolvedInstance {
  const { store, ...rest } = extra;
  return {
    name,
    system,
    address: `10.0.0.${name.length}`,
    user: 'root',
    port: 22,
    via: undefined,
    tags: [],
    hostKeys: [],
    ssh: {},
    keys: {},
    ...rest,
    store:
      store === undefined
        ? undefined
        : typeof store === 'string'
          ? store.includes('://')
            ? { kind: 'uri', uri: store }
            : { kind: 'instance', name: store }
          : store,
  };
}

export function hive(instances: ResolvedInstance[], opts: { signingKey?: string } = {}): ResolvedHive {
  const systems: ResolvedHive['systems'] = {};
  for (const i of instances) {
    systems[i.system] ??= {
      name: i.system,
      modules: [`/hive/${i.system}.nix`],
      paths: [['nixpkgs', '/nixpkgs']],
      system: 'x86_64-linux',
    };
  }
  return {
    configFile: '/hive/hive.config.ts',
    root: '/hive',
    signingKey: opts.signingKey === undefined ? undefined : { kind: 'file', file: opts.signingKey },
    systems,
    instances: Object.fromEntries(instances.map((i) => [i.name, i])),
  };
}

/** The seed's hive: portico is the jump box and store; www-1..3 and storage sit behind it. */
export function seedHive(
  opts: { signingKey?: string } = { signingKey: '/hive/keys/hive.sec' },
): ResolvedHive {
  return hive(
    [
      instance('portico', 'portico'),
      instance('www-1', 'www', { via: 'portico', store: 'portico', tags: ['web'] }),
      instance('www-2', 'www', { via: 'portico', store: 'portico', tags: ['web'] }),
      instance('www-3', 'www', { via: 'portico', store: 'portico', tags: ['web'] }),
      instance('storage', 'storage', { via: 'portico', store: 'portico' }),
    ],
    opts,
  );
}
