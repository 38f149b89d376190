// `nix-hive diff [patterns…]`: builds the selected systems, then shows, per distinct (running → new) pair,
// what a deploy would change: packages, closure sizes, bytes to copy, services (dry-activate), reboots.
// Text on stdout (the summary line last), or one JSON document (`--json`, schema/diff.schema.json).
import path from 'node:path';
import type { Command } from 'commander';
import { buildSystemsWhere } from '../../deploy/build/build-systems.ts';
import { fleetDiff } from '../../diff/fleet-diff.ts';
import { renderDiff } from '../../diff/render.ts';
import type { FleetDiff } from '../../diff/types.ts';
import { HiveError } from '../../errors.ts';
import { spawnProcess } from '../../exec/spawn.ts';
import { hostsOf } from '../../host/host.ts';
import type { ResolvedHive } from '../../inventory/types.ts';
import { openSshSession } from '../../ssh/session.ts';
import { addConfigOption, loadSelection, parseCount, type ConfigOptions } from '../options.ts';
import { READ_ONLY_GRACE_MS, withInterruptedSession } from '../interrupt.ts';
import { act } from '../outcome.ts';

interface DiffFlags extends ConfigOptions {
  json?: boolean;
  verbose?: boolean;
  parallel: string;
  connectTimeout: string;
  activationDiff: boolean;
}

/** The diff of `targets` against `built` over an open session's hosts (deploy --diff calls it too). */
export function diffOverHosts(
  hive: ResolvedHive,
  targets: string[],
  built: Record<string, string | undefined>,
  run: (
    instance: string,
    argv: string[],
    o: { root?: boolean; input?: string; timeoutMs?: number },
  ) => ReturnType<typeof spawnProcess>,
  o: { parallel: number; activationDiff: boolean; env?: Record<string, string | undefined> },
): Promise<FleetDiff> {
  return fleetDiff({
    targets: targets.map((t) => ({ instance: t, system: hive.instances[t]!.system })),
    built,
    remote: (instance) => (argv, opts) => run(instance, argv, opts ?? {}),
    local: (argv, opts) => spawnProcess(argv[0]!, argv.slice(1), { input: opts?.input ?? '', env: o.env }),
    parallel: o.parallel,
    activationDiff: o.activationDiff,
    machineOf: (instance) => {
      const i = hive.instances[instance]!;
      return `${i.via ?? ''}>${i.address}:${i.port}`;
    },
  });
}

export function registerDiff(program: Command): void {
  addConfigOption(
    program
      .command('diff')
      .description(
        'build, then show what a deploy would change: per (running → new) system pair, packages, sizes, services, reboots',
      )
      .argument('[patterns...]', 'instance names, system names, tags, @tag, !exclude, globs; none = all'),
  )
    .option('--json', 'one JSON document (schema/diff.schema.json)')
    .option('-v, --verbose', 'also list the packages that were only rebuilt')
    .option('--no-activation-diff', 'do not run switch-to-configuration dry-activate (no service changes)')
    .option('--parallel <n>', 'how many hosts are asked at once', '10')
    .option(
      '--connect-timeout <s>',
      'seconds to wait for a host to answer before it counts as unreachable',
      '10',
    )
    .action(
      act(async (patterns: string[], flags: DiffFlags) => {
        const parallel = parseCount('--parallel', flags.parallel);
        const connectTimeout = parseCount('--connect-timeout', flags.connectTimeout);
        const { hive, targets } = await loadSelection(flags, patterns);
        const names = [...new Set(targets.map((t) => hive.instances[t]!.system))];
        process.stderr.write(`nix-hive: building ${names.length} system(s): ${names.join(', ')}\n`);
        const open = () => openSshSession(hive, { connectTimeout });
        return withInterruptedSession(
          open,
          async (session, interrupt) => {
            const { built, failed } = await buildSystemsWhere(hive, names, {
              spawn: spawnProcess,
              gcrootDir: path.join(hive.root, '.hive', 'gcroots'),
              onLine: (_s, line) => (flags.verbose ? process.stderr.write(`${line}\n`) : undefined),
              signal: interrupt.stop,
            });
            for (const [name, why] of Object.entries(failed))
              process.stderr.write(`nix-hive: build ${name} failed: ${why}\n`);
            if (interrupt.reason) return 'interrupted';
            const hosts = hostsOf(session);
            const diff = await diffOverHosts(
              hive,
              targets,
              Object.fromEntries(Object.entries(built).map(([s, b]) => [s, b.outPath])),
              (i, argv, o) => hosts.get(i)!.run(argv, o),
              { parallel, activationDiff: flags.activationDiff },
            );
            if (interrupt.reason) return 'interrupted';
            process.stdout.write(flags.json ? JSON.stringify(diff, null, 2) + '\n' : renderDiff(diff, flags));
            if (Object.keys(failed).length)
              throw new HiveError('E_COMMAND', `${Object.keys(failed).length} system(s) failed to build`);
            const unread = diff.unreachable.length + diff.unreadable.length;
            return unread + diff.blocks.filter((b) => b.error).length ? 'failed' : 'ok';
          },
          READ_ONLY_GRACE_MS,
        );
      }),
    );
}
