// `nix-hive status [patterns…]`: in-sync / drifted / unreachable per instance, asked of the hosts
// themselves (`Host.currentSystem`) and compared with hive.state's expectation. Exit 1 if any is not in sync;
// Ctrl-C stops the queries (exit 130) and still closes the session.
import type { Command } from 'commander';
import { fleetStatus } from '../../fleet/status.ts';
import { needsReboot } from '../../deploy/activate/reboot.ts';
import { hostsOf } from '../../host/host.ts';
import { openSshSession } from '../../ssh/session.ts';
import { readState } from '../../state/store.ts';
import { table } from '../../progress/summary.ts';
import { READ_ONLY_GRACE_MS, withInterruptedSession } from '../interrupt.ts';
import { act } from '../outcome.ts';
import { addConfigOption, loadSelection, parseCount, statePath, type ConfigOptions } from '../options.ts';

interface StatusFlags extends ConfigOptions {
  json?: boolean;
  parallel: string;
  state?: string;
  connectTimeout: string;
}

export function registerStatus(program: Command): void {
  addConfigOption(
    program
      .command('status')
      .description('ask each instance what it runs, and compare with what hive.state says it should')
      .argument('[patterns...]', 'instance names, system names, tags, @tag, !exclude, globs; none = all'),
  )
    .option('--json', 'one JSON array of per-instance records')
    .option('--parallel <n>', 'how many hosts are asked at once', '10')
    .option('--state <file>', 'the cache of earlier runs (default: hive.state beside the config)')
    .option(
      '--connect-timeout <s>',
      'seconds to wait for a host to answer before it counts as unreachable',
      '10',
    )
    .action(
      act(async (patterns: string[], flags: StatusFlags) => {
        const parallel = parseCount('--parallel', flags.parallel);
        const connectTimeout = parseCount('--connect-timeout', flags.connectTimeout);
        const { hive, targets } = await loadSelection(flags, patterns);
        const state = await readState(statePath(flags, hive)!);
        const open = () => openSshSession(hive, { connectTimeout });
        return withInterruptedSession(
          open,
          async (session, interrupt) => {
            const hosts = hostsOf(session);
            const rows = await fleetStatus(hive, targets, {
              currentSystem: (instance, o) => hosts.get(instance)!.currentSystem(o),
              state,
              parallel,
              stop: interrupt.stop,
              signal: interrupt.kill,
              needsReboot: (instance) =>
                needsReboot({ remote: (i, argv, o) => hosts.get(i)!.run(argv, o) }, instance, interrupt.kill),
            });
            if (flags.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
            else {
              const lines = table([
                ['INSTANCE', 'SYSTEM', 'STATUS', 'DETAIL'],
                ...rows.map((r) => [
                  r.instance,
                  r.system,
                  r.status,
                  [
                    r.needsReboot ? `needs reboot (${r.needsReboot.join(', ')} changed)` : '',
                    r.detail ?? r.current ?? '',
                  ]
                    .filter(Boolean)
                    .join('; '),
                ]),
              ]);
              process.stdout.write(lines.join('\n') + '\n');
            }
            if (interrupt.reason) return 'interrupted';
            return rows.every((r) => r.status === 'in-sync') ? 'ok' : 'failed';
          },
          READ_ONLY_GRACE_MS,
        );
      }),
    );
}
