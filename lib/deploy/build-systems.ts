// The systems of `nix-hive build`, built where the hive says: those without a build host in one batched
// nix-build here (nix/build.ts), those with one (an instance, or an ssh-ng:// URI) evaluated here and realised
// there with a GC root (`buildOnHost`, over one ssh session opened for this and closed at the end). Nothing
// is signed or pushed: that is `deploy`'s job. A host that cannot be reached fails its systems, not the rest.
import type { Spawner } from '../exec/spawn.ts';
import { HiveError } from '../errors.ts';
import type { ResolvedHive, ResolvedSystem } from '../inventory/types.ts';
import { buildSystemsSettled, type BuildOutcome } from '../nix/build.ts';
import { buildHostOf } from '../plan/build-host.ts';
import type { SshSessionOptions } from '../ssh/session.ts';
import { buildOnHost } from './build-host.ts';
import { sshTransport } from './transport.ts';

export interface BuildWhereOptions {
  spawn: Spawner;
  gcrootDir: string;
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
  signal: AbortSignal;
  env?: Record<string, string | undefined>;
  ssh?: Omit<SshSessionOptions, 'spawn'>;
}

/** Where each system is built: its build host's name, or undefined for here. */
export function buildPlaces(hive: ResolvedHive, names: string[]): Map<string | undefined, ResolvedSystem[]> {
  const out = new Map<string | undefined, ResolvedSystem[]>();
  for (const n of names) {
    const host = buildHostOf(hive, n);
    out.set(host, [...(out.get(host) ?? []), hive.systems[n]!]);
  }
  return out;
}

export async function buildSystemsWhere(
  hive: ResolvedHive,
  names: string[],
  o: BuildWhereOptions,
): Promise<BuildOutcome> {
  const places = buildPlaces(hive, names);
  const here = (places.get(undefined) ?? []).map((s) => s.name);
  places.delete(undefined);
  const outcome = await buildSystemsSettled(hive, here, {
    spawn: o.spawn,
    gcrootDir: o.gcrootDir,
    onLine: o.onLine,
    signal: o.signal,
    env: o.env,
  });
  if (places.size === 0) return outcome;
  const transport = await sshTransport(hive, o.spawn, o.ssh);
  try {
    const ctx = {
      spawn: o.spawn,
      nixEnv: o.env ?? {},
      connect: transport.connect,
      nixSshOpts: transport.nixSshOpts,
      remote: transport.remote,
    };
    for (const [host, systems] of places) {
      o.onLine('stderr', `nix-hive: building ${systems.map((s) => s.name).join(', ')} on ${host}`);
      try {
        const there = await buildOnHost(ctx, host!, systems, { log: o.onLine, signal: o.signal });
        Object.assign(outcome.built, there.built);
        Object.assign(outcome.failed, there.failed);
      } catch (e) {
        o.signal.throwIfAborted();
        const why =
          e instanceof HiveError && e.hint
            ? `${e.message} (hint: ${e.hint})`
            : String((e as Error)?.message ?? e);
        for (const s of systems) outcome.failed[s.name] = why;
      }
    }
  } finally {
    await transport.close();
  }
  return outcome;
}
