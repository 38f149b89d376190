// `nix-hive build [--no build] [-c config] [patterns…]`: builds the selected systems and prints ONE JSON
// document on stdout (the resolved inventory with result paths; shape: schema/build-output.schema.json).
// Progress goes to stderr only. A system with a build host (`build.host`, `--build-host`) is evaluated here and
// realised there, as `deploy` does (deploy/build/build-systems.ts); its outPath is then in the build host's store.
import path from 'node:path';
import type { Command } from 'commander';
import { newRunId } from '../../deploy/deploy.ts';
import { openStateForWrite } from '../deploy-setup.ts';
import { spawnProcess } from '../../exec/spawn.ts';
import type { BuiltSystem } from '../../nix/build.ts';
import { HiveError } from '../../errors.ts';
import { buildPlaces, buildSystemsWhere } from '../../deploy/build/build-systems.ts';
import { interruptSignals, type Interrupt } from '../interrupt.ts';
import { act } from '../outcome.ts';
import type { ResolvedHive } from '../../inventory/types.ts';
import { describeKey } from '../../inventory/resolve/keys.ts';
import { describeSigningKey } from '../../inventory/resolve/signing-key.ts';
import { systemFingerprint } from '../../state/fingerprint.ts';
import { StateFile } from '../../state/store.ts';
import type { HiveState } from '../../state/types.ts';
import {
  addConfigOption,
  addEvalOptions,
  addSigningKeyOption,
  evalChoice,
  type EvalFlags,
  addSkipOption,
  loadSelection,
  skips,
  statePath,
  type ConfigOptions,
  type SkipOptions,
} from '../options.ts';

export const BUILD_OUTPUT_FORMAT = 'nix-hive/build@1';

/** The systems to build: those of the selected instances, or every system when no pattern is given. */
export function systemsFor(hive: ResolvedHive, targets: string[], patterns: string[]): string[] {
  if (patterns.length === 0) return Object.keys(hive.systems);
  return [...new Set(targets.map((t) => hive.instances[t]!.system))];
}

export interface CachedSystem {
  outPath: string;
  drvPath: string | null;
  builtAt: string;
  /** The inputs still have the fingerprint recorded with the build. */
  current: boolean;
}

/** What hive.state remembers of each system, with whether its fingerprint still matches. */
export async function cachedSystems(
  hive: ResolvedHive,
  state: HiveState | undefined,
): Promise<Record<string, CachedSystem>> {
  const out: Record<string, CachedSystem> = {};
  for (const s of Object.values(hive.systems)) {
    const c = state?.systems[s.name];
    if (!c) continue;
    const current = c.fingerprint !== '' && c.fingerprint === (await systemFingerprint(s));
    out[s.name] = { outPath: c.outPath, drvPath: c.drvPath ?? null, builtAt: c.builtAt, current };
  }
  return out;
}

/** The JSON document `build` prints; a pure function of the inventory, the build results and the cache. */
export function buildOutput(
  hive: ResolvedHive,
  targets: string[],
  built: Record<string, BuiltSystem>,
  cached: Record<string, CachedSystem> = {},
) {
  const systems: Record<string, unknown> = {};
  for (const s of Object.values(hive.systems)) {
    const b = built[s.name];
    systems[s.name] = {
      ...s,
      outPath: b?.outPath ?? null,
      drvPath: b?.drvPath ?? null,
      cached: cached[s.name] ?? null,
    };
  }
  const instances: Record<string, unknown> = {};
  for (const i of Object.values(hive.instances))
    instances[i.name] = {
      ...i,
      via: i.via ?? null,
      store: i.store ?? null,
      keys: Object.fromEntries(Object.values(i.keys).map((k) => [k.name, describeKey(k)])),
    };
  return {
    format: BUILD_OUTPUT_FORMAT,
    configFile: hive.configFile,
    root: hive.root,
    signingKey: describeSigningKey(hive.signingKey),
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
  addSigningKeyOption(cmd);
  addEvalOptions(cmd);
  cmd
    .option('--build-host <host>', 'build on this instance or ssh-ng:// URI (overrides build.host)')
    .option('--state <file>', 'the cache of earlier runs (default: hive.state beside the config)')
    .option('--no-state', 'neither read nor write hive.state');
  cmd.action(
    act(
      async (
        patterns: string[],
        options: ConfigOptions & SkipOptions & EvalFlags & { state?: string | false },
      ) => {
        const evaluation = evalChoice(options);
        const { hive, targets } = await loadSelection(options, patterns);
        const file = statePath(options, hive);
        // A build that records its results holds hive.state's lock, as a deploy does.
        const flag = typeof options.state === 'string' ? '--state' : 'hive.state';
        const { state, lock } = skips(options, 'build')
          ? { state: file ? await StateFile.open(file) : undefined, lock: undefined }
          : await openStateForWrite(file, flag, `build-${newRunId()}`);
        let interrupt: Interrupt | undefined;
        try {
          let built: Record<string, BuiltSystem> = {};
          if (!skips(options, 'build')) {
            const names = systemsFor(hive, targets, patterns);
            process.stderr.write(`nix-hive: building ${names.length} system(s): ${names.join(', ')}\n`);
            // Only a build elsewhere holds ssh connections that Ctrl-C must close; a local build stops as before.
            const elsewhere = [...buildPlaces(hive, names).keys()].some((h) => h !== undefined);
            if (elsewhere)
              interrupt = interruptSignals((t) => process.stderr.write(`nix-hive: ${t}\n`), 3000);
            const { built: ok, failed } = await buildSystemsWhere(hive, names, {
              spawn: spawnProcess,
              gcrootDir: path.join(hive.root, '.hive', 'gcroots'),
              onLine: (_stream, line) => process.stderr.write(`${line}\n`),
              signal: interrupt?.stop ?? new AbortController().signal,
              evaluation,
            });
            const bad = Object.entries(failed);
            if (bad.length > 0)
              throw new HiveError(
                'E_COMMAND',
                bad.map(([name, why]) => `build ${name} failed: ${why}`).join('; '),
              );
            built = ok;
            if (state) {
              for (const [name, b] of Object.entries(built)) {
                const fingerprint = await systemFingerprint(hive.systems[name]!);
                state.state.systems[name] = {
                  outPath: b.outPath,
                  drvPath: b.drvPath,
                  fingerprint,
                  builtAt: new Date().toISOString(),
                };
              }
              state.save();
              await state.flush();
            }
          }
          const cached = await cachedSystems(hive, state?.state);
          process.stdout.write(JSON.stringify(buildOutput(hive, targets, built, cached), null, 2) + '\n');
        } catch (e) {
          if (!interrupt?.reason) throw e;
          process.stderr.write(`nix-hive: build interrupted (${interrupt.reason})\n`);
          return 'interrupted';
        } finally {
          interrupt?.dispose();
          await lock?.release();
        }
      },
    ),
  );
}
