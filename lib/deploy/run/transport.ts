// The deploy's way to instances: one generated ssh session (one ControlMaster per host, jump hosts
// first) with a Host per instance, created on first use. `nix copy` rides the same masters.
import type { Spawner } from '../../exec/spawn.ts';
import { asRoot, Host } from '../../host/host.ts';
import type { ResolvedHive } from '../../inventory/types.ts';
import { openSshSession, type SshSessionOptions } from '../../ssh/session.ts';
import type { RemoteRunner } from '../context.ts';
import type { SpawnResult } from '../../exec/spawn.ts';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { freshSshArgv, forwardArgv } from '../../ssh/fresh.ts';
import { sshFailure } from '../../ssh/failure.ts';
import { uriBuildHosts } from '../../inventory/resolve/build-host-uri.ts';

/** Where an HTTP check connects: a unix socket forwarded over the host's master, or the address itself. */
export type HttpEndpoint = { socketPath: string; close(): Promise<void> } | { host: string; port: number };

export interface Transport {
  remote: RemoteRunner;
  /** Opens the instance's connection (its jump hosts first) before a tool other than ours uses it. */
  connect(instance: string, signal?: AbortSignal): Promise<void>;
  nixSshOpts: string;
  /** Runs argv over a NEW ssh connection (not the master); rejects with SshError when ssh itself fails. */
  fresh?(
    instance: string,
    argv: string[],
    o?: { timeoutMs?: number; signal?: AbortSignal; root?: boolean },
  ): Promise<SpawnResult>;
  /** How the deployer reaches `port` on the instance: directly, or forwarded over its master behind a jump. */
  endpoint?(instance: string, port: number, signal?: AbortSignal): Promise<HttpEndpoint>;
  close(): Promise<void>;
}

export async function sshTransport(
  hive: ResolvedHive,
  spawn: Spawner,
  options: Omit<SshSessionOptions, 'spawn'> = {},
): Promise<Transport> {
  // Build hosts named by a URI get a block of their own (their keys from the operator's known_hosts).
  const buildHosts = [...uriBuildHosts(hive).values()];
  const session = await openSshSession(hive, { ...options, spawn, buildHosts });
  let forwards = 0;
  const hosts = new Map<string, Host>();
  const host = (name: string) => {
    let h = hosts.get(name);
    if (!h) {
      hosts.set(name, (h = new Host(session.instance(name), session, spawn)));
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
    fresh: async (instance, argv, o = {}) => {
      const inst = host(instance).instance;
      if (inst.via !== undefined) await session.connect(inst.via, { signal: o.signal });
      const r = await spawn(
        'ssh',
        freshSshArgv(session.configArgs, instance, o.root ? asRoot(inst.user, argv) : argv),
        {
          timeoutMs: o.timeoutMs,
          signal: o.signal,
          stdin: 'ignore',
        },
      );
      const failure = sshFailure(r, { instance: inst, connectTimeout: session.connectTimeout });
      if (failure) throw failure;
      return r;
    },
    endpoint: async (instance, port, signal) => {
      const inst = host(instance).instance;
      if (inst.via === undefined) return { host: inst.address, port };
      await session.connect(instance, { signal });
      const socket = join(session.dir, `f${++forwards}`);
      const args = (op: 'forward' | 'cancel') =>
        forwardArgv(session.configArgs, op, instance, socket, inst.address, port);
      const r = await spawn('ssh', args('forward'), { timeoutMs: 15_000, signal });
      if (r.exitCode !== 0) throw new Error(`cannot forward port ${port} of ${instance}: ${r.stderr.trim()}`);
      return {
        socketPath: socket,
        close: async () => {
          await spawn('ssh', args('cancel'), { timeoutMs: 15_000 });
          await rm(socket, { force: true });
        },
      };
    },
    close: () => session.close(),
  };
}
