// `--build-host <instance or ssh-ng:// URI>`: checked like `build.host` (exit 2 naming the argument), then
// laid over every system's build settings. A build host must be an instance of the hive for now (nix-hive
// runs the realise, sign and pushes there over its session); a URI stops before anything starts.
import { InputError } from '../errors.ts';
import type { ResolvedHive } from '../inventory/types.ts';
import { buildHostProblems } from '../inventory/source-checks.ts';

export function applyBuildHost(hive: ResolvedHive, host: string): void {
  const problems = buildHostProblems('--build-host', host, hive);
  if (problems.length > 0) throw new InputError(problems);
  for (const s of Object.values(hive.systems)) s.build = { ...s.build, host };
}

/** Systems of the targets that name a build host: refused with one line each, nothing started. */
export function refuseBuildHost(hive: ResolvedHive, targets: string[]): void {
  const systems = new Set(targets.map((t) => hive.instances[t]?.system));
  const problems = [...systems].flatMap((name) => {
    const host = name === undefined ? undefined : hive.systems[name]?.build?.host;
    return host === undefined || host in hive.instances
      ? []
      : [
          {
            path: `systems.${name}.build.host`,
            message: `building on a store URI (${host}) is not supported yet: name an instance of the hive as the build host`,
          },
        ];
  });
  if (problems.length > 0) throw new InputError(problems);
}
