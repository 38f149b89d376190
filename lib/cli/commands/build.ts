// `nix-hive build [--no build] [-c config] [patterns…]`: builds the selected systems and prints ONE JSON
// document on stdout (the resolved inventory with result paths; shape: schema/build-output.schema.json).
// Progress goes to stderr only.
import path from 'node:path';
import type { Command } from 'commander';
import { spawnProcess } from '../../exec/spawn.ts';
import { buildSystems, type BuiltSystem } from '../../nix/build.ts';
import type { ResolvedHive } from '../../inventory/types.ts';
import {
  addConfigOption,
  addSkipOption,
  loadSelection,
  skips,
  type ConfigOptions,
  type SkipOptions,
} from '../options.ts';

export const BUILD_OUTPUT_FORMAT = 'nix-hive/build@1';

/** The systems to build: those of the selected instances, or every system when no pattern is given. */
export function systemsFor(hive: ResolvedHive, targets: string[], patterns: string[]): string[] {
  if (patterns.length === 0) return Object.keys(hive.systems);
  return [...new Set(targets.map((t) => hive.instances[t]!.system))];
}

/** The JSON document `build` prints; a pure function of the inventory and the build results. */
export function buildOutput(hive: ResolvedHive, targets: string[], built: Record<string, BuiltSystem>) {
  const systems: Record<string, unknown> = {};
  for (const s of Object.values(hive.systems)) {
    const b = built[s.name];
    systems[s.name] = { ...s, outPath: b?.outPath ?? null, drvPath: b?.drvPath ?? null };
  }
  const instances: Record<string, unknown> = {};
  for (const i of Object.values(hive.instances))
    instances[i.name] = { ...i, via: i.via ?? null, store: i.store ?? null };
  return {
    format: BUILD_OUTPUT_FORMAT,
    configFile: hive.configFile,
    root: hive.root,
    signingKey: hive.signingKey ?? null,
    targets,
    systems,
    instances,
  };
}

export function registerBuild(program: Command): void {
  const cmd = program
    .command('build')
    .description('build the selected systems and print the resolved inventory as JSON')
    .argument('[patterns...]', 'instance names, system names, tags (@tag), globs; !pattern excludes');
  addConfigOption(cmd);
  addSkipOption(cmd);
  cmd.action(async (patterns: string[], options: ConfigOptions & SkipOptions) => {
    const { hive, targets } = await loadSelection(options, patterns);
    let built: Record<string, BuiltSystem> = {};
    if (!skips(options, 'build')) {
      const names = systemsFor(hive, targets, patterns);
      process.stderr.write(`nix-hive: building ${names.length} system(s): ${names.join(', ')}\n`);
      built = await buildSystems(hive, names, {
        spawn: spawnProcess,
        gcrootDir: path.join(hive.root, '.hive', 'gcroots'),
        onLine: (_stream, line) => process.stderr.write(`${line}\n`),
      });
    }
    process.stdout.write(JSON.stringify(buildOutput(hive, targets, built), null, 2) + '\n');
  });
}
