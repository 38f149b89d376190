// `nix-hive check [patterns…]`: runs the selected instances' health checks on their own (cmd checks on the
// host over its ssh connection, http checks from here, forwarded behind a jump host). Exit 1 if any fails;
// Ctrl-C stops the checks (exit 130) and still closes the session.
import type { Command } from 'commander';
import { checkFleet } from '../../deploy/activate/checks.ts';
import { sshTransport } from '../../deploy/run/transport.ts';
import { spawnProcess } from '../../exec/spawn.ts';
import { table } from '../../progress/summary.ts';
import { READ_ONLY_GRACE_MS, withInterruptedSession } from '../interrupt.ts';
import { act } from '../outcome.ts';
import { addConfigOption, loadSelection, parseCount, type ConfigOptions } from '../options.ts';

interface CheckFlags extends ConfigOptions {
  json?: boolean;
  parallel: string;
  connectTimeout: string;
}

export function registerCheck(program: Command): void {
  addConfigOption(
    program
      .command('check')
      .description("run the selected instances' health checks (cmd on the host, http from here)")
      .argument('[patterns...]', 'instance names, system names, tags, @tag, !exclude, globs; none = all'),
  )
    .option('--json', 'one JSON array of per-instance results')
    .option('--parallel <n>', 'how many hosts are checked at once', '10')
    .option('--connect-timeout <s>', 'seconds to wait for a host to answer', '10')
    .action(
      act(async (patterns: string[], flags: CheckFlags) => {
        const parallel = parseCount('--parallel', flags.parallel);
        const connectTimeout = parseCount('--connect-timeout', flags.connectTimeout);
        const { hive, targets } = await loadSelection(flags, patterns);
        const open = () => sshTransport(hive, spawnProcess, { connectTimeout });
        return withInterruptedSession(
          open,
          async (transport, interrupt) => {
            const rows = await checkFleet(
              hive,
              targets,
              {
                remote: transport.remote,
                endpoint: transport.endpoint,
                signal: interrupt.kill,
                stop: interrupt.stop,
              },
              parallel,
            );
            if (flags.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
            else {
              const lines = [['INSTANCE', 'CHECK', 'RESULT', 'DETAIL']];
              for (const { instance, results } of rows) {
                if (results.length === 0) lines.push([instance, '-', 'ok', 'no checks']);
                for (const c of results)
                  lines.push([
                    instance,
                    c.name,
                    c.ok ? 'ok' : 'FAILED',
                    c.ok ? `${c.attempts} attempt(s)` : c.detail,
                  ]);
              }
              process.stdout.write(table(lines).join('\n') + '\n');
            }
            if (interrupt.reason) return 'interrupted';
            return rows.every((r) => r.results.every((c) => c.ok)) ? 'ok' : 'failed';
          },
          READ_ONLY_GRACE_MS,
        );
      }),
    );
}
