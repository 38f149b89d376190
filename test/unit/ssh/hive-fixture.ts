// A small resolved hive for the ssh unit tests: a jump host with a pinned key, hosts behind it, one unpinned host.
import type { ResolvedHive, ResolvedInstance } from '../../../lib/inventory/types.ts';

export const PORTICO_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHd0Ba0qKn4uk4Z6bM8YKAb3KdZzq3y+Vb8bXcQ4D3dN portico';
export const WWW1_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOm9pQW0P5uqrKNn1DkHqJ4b2FjM0Y2sW6b7Xn2nQ0pN';

export function instance(name: string, extra: Partial<ResolvedInstance> = {}): ResolvedInstance {
  return {
    name,
    system: 'web',
    address: `${name}.example.org`,
    user: 'root',
    port: 22,
    via: undefined,
    store: undefined,
    tags: [],
    hostKeys: [],
    ssh: {},
    keys: {},
    ...extra,
  };
}

export function fixtureHive(instances: ResolvedInstance[] = defaultInstances()): ResolvedHive {
  return {
    configFile: '/srv/hive/hive.config.ts',
    root: '/srv/hive',
    signingKey: undefined,
    systems: { web: { name: 'web', modules: [], paths: [], system: 'x86_64-linux' } },
    instances: Object.fromEntries(instances.map((i) => [i.name, i])),
  };
}

function defaultInstances(): ResolvedInstance[] {
  return [
    instance('portico', {
      address: '203.0.113.10',
      hostKeys: [PORTICO_KEY],
      ssh: { IdentityFile: '~/.ssh/deploy', Compression: true },
    }),
    instance('www-1', { address: '10.0.0.11', via: 'portico', hostKeys: [WWW1_KEY], user: 'deploy' }),
    instance('storage', { address: 'fe80::1%eth0', via: 'www-1', port: 2222 }),
  ];
}
