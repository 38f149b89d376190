// The deploy's way to instances: one generated ssh session (one ControlMaster per host, jump hosts
// first) with a Host per instance, created on first use. `nix copy` rides the same masters.
import type { Spawner } from '../exec/spawn.ts';
import { Host } from '../host/host.ts';
import type { ResolvedHive } from '../inventory/types.ts';
import { openSshSession, type SshSessionOptions } from '../ssh/session.ts';
import type { RemoteRunner } from './context.ts';

export interface Transport {
  remote: RemoteRunner;
  /** Opens the instance's connection (its jump hosts first) before a tool other than ours uses it. */
  connect(instance: string, signal?: AbortSignal): Promise<void>;
  nixSshOpts: string;
  close(): Promise<void>;
}

export async function sshTransport(
  hive: ResolvedHive,
  spawn: Spawner,
  options: Omit<SshSessionOptions, 'spawn'> = {},
): Promise<Transport> {
  const session = await openSshSession(hive, { ...options, spawn });
  const hosts = new Map<string, Host>();
  const host = (name: string) => {
    let h = hosts.get(name);
    if (!h) {
      const inst = hive.instances[name];
      if (!inst) throw new Error(`transport: unknown instance ${name}`);
      hosts.set(name, (h = new Host(inst, session, spawn)));
    }
    return h;
  };
  return {
    remote: (instance, argv, o = {}) =>
      host(instance).run(argv, {
        timeoutMs: o.timeoutMs,
        signal: o.signal,
        onLine: o.onLine,
        root: o.root,
        ...(o.input !== undefined ? { input: o.input } : {}),
      }),
    connect: (instance, signal) => session.connect(instance, { signal }),
    nixSshOpts: session.nixSshOpts,
    close: () => session.close(),
  };
}
