// `--build-host <instance or ssh-ng:// URI>`: checked like `build.host` (exit 2 naming the argument), then
// laid over every system's build settings. A build host is an instance of the hive or an
// `ssh-ng://[user@]host[:port]` URI (inventory/resolve/build-host-uri.ts); what a URI may not carry yet (store
// parameters, a host that is also an instance's name, one host under two users or ports) stops before anything starts.
import { InputError, type Problem } from '../errors.ts';
import type { ResolvedHive } from '../inventory/types.ts';
import { buildHostProblems } from '../inventory/validate/source-checks.ts';
import { buildHostUriProblem, conflictingUris, isBuildHostUri } from '../inventory/resolve/build-host-uri.ts';

export function applyBuildHost(hive: ResolvedHive, host: string): void {
  const problems = buildHostProblems('--build-host', host, hive);
  const unsupported = problems.length === 0 && isBuildHostUri(host) && buildHostUriProblem(hive, host);
  if (unsupported) problems.push({ path: '--build-host', message: unsupported });
  if (problems.length > 0) throw new InputError(problems);
  for (const s of Object.values(hive.systems)) s.build = { ...s.build, host };
}

/** Systems of the targets whose URI build host cannot be used: refused with one line each, nothing started. */
export function refuseBuildHost(hive: ResolvedHive, targets: string[]): void {
  const systems = [...new Set(targets.map((t) => hive.instances[t]?.system))];
  const problems: Problem[] = [];
  const uris = new Map<string, string>();
  for (const name of systems) {
    const host = name === undefined ? undefined : hive.systems[name]?.build?.host;
    if (host === undefined || !isBuildHostUri(host)) continue;
    const message = buildHostUriProblem(hive, host);
    if (message) problems.push({ path: `systems.${name}.build.host`, message });
  }
  // One host, one connection: every system's URIs count here (the session has one block per host name).
  for (const s of Object.values(hive.systems)) {
    const host = s.build?.host;
    if (host !== undefined && isBuildHostUri(host) && !uris.has(host)) uris.set(host, s.name);
  }
  const clash = conflictingUris(uris.keys());
  if (clash)
    problems.push({
      path: `systems.${uris.get(clash[1])}.build.host`,
      message: `${clash[1]} and ${clash[0]} (systems.${uris.get(clash[0])}.build.host) name one host with another user or port: use one URI for it`,
    });
  if (problems.length > 0) throw new InputError(problems);
}
