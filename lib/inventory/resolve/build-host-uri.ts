// A build host named by a URI (`ssh-ng://[user@]host[:port]`, or `ssh://`) instead of an instance (pure): the
// host nix-hive reaches over the run's one ssh session like an instance, but with no inventory entry, so no
// pinned key: its ssh_config block (`renderUriBuildHostBlock`) checks its host key strictly against the
// operator's own known_hosts. Its name in the plan and in the generated ssh_config is the URI's host
// (`build www@builder`, `copy www builder → portico`). What a URI may not carry yet is refused here.
import type { ResolvedHive, ResolvedInstance } from '../types.ts';

/** A URI build host as an instance-shaped record for the ssh session; `uri` marks it as not of the hive. */
export type UriBuildHost = ResolvedInstance & { uri: string };

const SCHEME = /^(ssh-ng|ssh):\/\//;
const NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const USER = /^[a-z_][a-z0-9_.-]*$/;

export function isBuildHostUri(host: string): boolean {
  return host.includes('://');
}

/** The URI parsed, or why nix-hive cannot build there (yet). Never throws. */
export function parseBuildHostUri(uri: string): { host: UriBuildHost } | { problem: string } {
  const scheme = SCHEME.exec(uri);
  if (!scheme)
    return { problem: `only ssh-ng:// (or ssh://) build hosts are supported, not ${JSON.stringify(uri)}` };
  const rest = uri.slice(scheme[0].length);
  if (rest.includes('?'))
    return {
      problem: `store URI parameters ("?…") are not supported for a build host: write ssh-ng://[user@]host[:port] and put ssh options in ~/.ssh/config`,
    };
  const at = rest.lastIndexOf('@');
  const user = at >= 0 ? rest.slice(0, at) : undefined;
  const hostPort = at >= 0 ? rest.slice(at + 1) : rest;
  if (user !== undefined && !USER.test(user))
    return { problem: `unusable user name ${JSON.stringify(user)}` };
  const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(hostPort);
  if (!m || !NAME.test(m[1]!))
    return {
      problem: `the host of ${JSON.stringify(uri)} must be a host name or an IPv4 address (with an optional :port)`,
    };
  const port = m[2] === undefined ? 22 : Number(m[2]);
  if (port < 1 || port > 65535) return { problem: `port ${m[2]} is out of range` };
  const name = m[1]!;
  return {
    host: {
      uri,
      name,
      system: '',
      address: name,
      // Like an instance: root unless the URI names a user (realising, GC roots and pushes need root).
      user: user ?? 'root',
      port,
      via: undefined,
      store: undefined,
      tags: [],
      hostKeys: [],
      ssh: {},
      keys: {},
    },
  };
}

/** Where a system's `build.host` points: an instance's name, a URI host's name, or undefined. */
export function buildHostName(hive: ResolvedHive, host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  if (!isBuildHostUri(host)) return host in hive.instances ? host : undefined;
  const p = parseBuildHostUri(host);
  return 'host' in p ? p.host.name : undefined;
}

/** Why a URI build host cannot be used with this hive, or undefined when it can. */
export function buildHostUriProblem(hive: ResolvedHive, uri: string): string | undefined {
  const p = parseBuildHostUri(uri);
  if ('problem' in p) return p.problem;
  if (p.host.name in hive.instances)
    return `${JSON.stringify(uri)} names the host "${p.host.name}", which is also an instance of the hive: write "${p.host.name}" to build on that instance (its pinned host keys), or use another name for the other host`;
  return undefined;
}

/** Every usable URI build host of the hive's systems, by name (the ssh session's extra hosts). */
export function uriBuildHosts(hive: ResolvedHive): Map<string, UriBuildHost> {
  const out = new Map<string, UriBuildHost>();
  for (const s of Object.values(hive.systems)) {
    const host = s.build?.host;
    if (host === undefined || !isBuildHostUri(host) || buildHostUriProblem(hive, host)) continue;
    const p = parseBuildHostUri(host);
    if ('host' in p && !out.has(p.host.name)) out.set(p.host.name, p.host);
  }
  return out;
}

/** Two systems naming one host by different URIs (another user or port) would share one connection. */
export function conflictingUris(uris: Iterable<string>): [string, string] | undefined {
  const seen = new Map<string, string>();
  for (const uri of uris) {
    const p = parseBuildHostUri(uri);
    if (!('host' in p)) continue;
    const key = `${p.host.user}@${p.host.port}`;
    const other = seen.get(p.host.name);
    if (other === undefined) seen.set(p.host.name, uri);
    else {
      const q = parseBuildHostUri(other);
      if ('host' in q && `${q.host.user}@${q.host.port}` !== key) return [other, uri];
    }
  }
  return undefined;
}
