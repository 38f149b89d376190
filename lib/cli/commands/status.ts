// `nix-hive status [patterns…]`: in-sync / drifted / unreachable per instance, asked of the hosts
// themselves and compared with hive.state's expectation. Exit 1 if any is not in sync.
import type { Command } from 'commander';
import { fleetStatus } from '../../deploy/status.ts';
import { sshTransport } from '../../deploy/transport.ts';
import { spawnProcess } from '../../exec/spawn.ts';
import { StateFile } from '../../state/store.ts';
import { table } from '../../progress/summary.ts';
import { addConfigOption, loadSelection, parseCount, statePath, type ConfigOptions } from '../options.ts';

interface StatusFlags extends ConfigOptions {
  json?: boolean;
  parallel: string;
  state?: string;
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
    .action(async (patterns: string[], flags: StatusFlags) => {
      const parallel = parseCount('--parallel', flags.parallel);
      const { hive, targets } = await loadSelection(flags, patterns);
      const state = await StateFile.open(statePath(flags, hive)!);
      const transport = await sshTransport(hive, spawnProcess);
      try {
        const rows = await fleetStatus(hive, targets, {
          remote: transport.remote,
          state: state.state,
          parallel,
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
        process.exitCode = rows.every((r) => r.status === 'in-sync') ? 0 : 1;
      } finally {
        await transport.close();
      }
    });
}
