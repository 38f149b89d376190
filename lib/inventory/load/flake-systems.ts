// A hive-level `flake`: every `nixosConfigurations` entry of it becomes a system of that name (a system
// the config names itself wins). The names come from `nix eval --json <ref>#nixosConfigurations --apply
// builtins.attrNames`, which evaluates nothing but the attribute names, with the lock honoured.
import { InputError } from '../../errors.ts';
import { spawnProcess, type Spawner } from '../../exec/spawn.ts';
import { flakeSystemNamesArgv } from '../../nix/flake-argv.ts';
import { FLAKE_ATTR, resolveFlakeRef } from '../resolve/flake-ref.ts';
import { isDict, type Dict } from '../validate/guards.ts';
import { nixProblem } from './seed-format.ts';

export async function expandFlakeSystems(
  config: unknown,
  root: string,
  configFile: string,
  spawn: Spawner = spawnProcess,
  env?: Record<string, string | undefined>,
): Promise<unknown> {
  if (!isDict(config) || typeof config.flake !== 'string' || !/^[^\s#]+$/.test(config.flake)) return config;
  const ref = resolveFlakeRef(root, config.flake);
  const argv = flakeSystemNamesArgv(ref);
  const r = await spawn(argv.command, argv.args, { env, cwd: root });
  if (r.exitCode !== 0) {
    const p = nixProblem(configFile, r.stderr);
    throw new InputError([
      { path: 'flake', message: `cannot list nixosConfigurations of ${ref}: ${p.message}` },
    ]);
  }
  const names = JSON.parse(r.stdout) as string[];
  const own: Dict = isDict(config.systems) ? config.systems : {};
  const systems: Dict = {};
  for (const name of names) {
    if (name in own) continue;
    // A name no installable can carry is reported by the schema as this system's malformed flake.
    systems[name] = { flake: FLAKE_ATTR.test(name) ? `${ref}#${name}` : `${ref}#${JSON.stringify(name)}` };
  }
  return { ...config, systems: { ...systems, ...own } };
}
