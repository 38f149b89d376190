// `nix-hive rollback [patterns…]`: switch each selected instance back to its previous system generation,
// or to `--to <generation>`, detached and read back like an activation. Exit 1 if any did not switch.
import type { Command } from 'commander';
import { newRunId } from '../../deploy/deploy.ts';
import { rollbackFleet } from '../../fleet/rollback.ts';
import { sshTransport } from '../../deploy/run/transport.ts';
import { spawnProcess } from '../../exec/spawn.ts';
import { table } from '../../progress/summary.ts';
import { addConfigOption, loadSelection, parseCount, type ConfigOptions } from '../options.ts';
import { withInterruptedSession } from '../interrupt.ts';
import { act } from '../outcome.ts';

interface RollbackFlags extends ConfigOptions {
  to?: string;
  json?: boolean;
  parallel: string;
  connectTimeout: string;
  activationTimeout: string;
}

export function registerRollback(program: Command): void {
  addConfigOption(
    program
      .command('rollback')
      .description('switch the selected instances back to their previous system generation (or --to <n>)')
      .argument('[patterns...]', 'instance names, system names, tags, @tag, !exclude, globs; none = all'),
  )
    .option(
      '--to <generation>',
      'the system profile generation to return to (default: the one before the current)',
    )
    .option('--json', 'one JSON array of per-instance results')
    .option('--parallel <n>', 'how many hosts roll back at once', '10')
    .option('--connect-timeout <s>', 'seconds to wait for a host to answer', '10')
    .option('--activation-timeout <s>', 'seconds one switch may take', '600')
    .action(
      act(async (patterns: string[], flags: RollbackFlags) => {
        const to = flags.to === undefined ? undefined : parseCount('--to', flags.to);
        const parallel = parseCount('--parallel', flags.parallel);
        const connectTimeout = parseCount('--connect-timeout', flags.connectTimeout);
        const activationTimeout = parseCount('--activation-timeout', flags.activationTimeout);
        const { hive, targets } = await loadSelection(flags, patterns);
        const open = () => sshTransport(hive, spawnProcess, { connectTimeout });
        return withInterruptedSession(open, async (transport, interrupt) => {
          const rows = await rollbackFleet(hive, targets, {
            remote: transport.remote,
            to,
            runId: newRunId(),
            parallel,
            signal: interrupt.kill,
            timeoutMs: activationTimeout * 1000,
          });
          if (flags.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
          else {
            const lines = table([
              ['INSTANCE', 'RESULT', 'DETAIL'],
              ...rows.map((r) => [r.instance, r.ok ? 'rolled back' : 'FAILED', r.detail]),
            ]);
            process.stdout.write(lines.join('\n') + '\n');
          }
          return interrupt.reason ? 'interrupted' : rows.every((r) => r.ok) ? 'ok' : 'failed';
        });
      }),
    );
}
