// `nix-hive upload-keys [patterns…]`: re-sends the selected instances' keys without a deploy (after a reboot
// emptied /run/keys, or a rotated secret), one remote command per host. Same views and exit codes as deploy.
import type { Command } from 'commander';
import { uploadKeysOnly } from '../../fleet/upload-keys.ts';
import { logWriter } from '../../deploy/run/logs.ts';
import { teeSinks, type EventSink } from '../../progress/events.ts';
import { jsonRenderer } from '../../progress/json.ts';
import { plainRenderer } from '../../progress/plain.ts';
import { collectFailedTails, renderSummary } from '../../progress/summary.ts';
import { addConfigOption, loadSelection, parseCount, type ConfigOptions } from '../options.ts';
import { interruptSignals } from '../interrupt.ts';
import { act, outcomeOf, type Outcome } from '../outcome.ts';

interface UploadKeysFlags extends ConfigOptions {
  json?: boolean;
  parallel: string;
  verbose?: boolean;
  connectTimeout: string;
}

async function runUploadKeys(patterns: string[], flags: UploadKeysFlags): Promise<Outcome> {
  const parallel = parseCount('--parallel', flags.parallel);
  const connectTimeout = parseCount('--connect-timeout', flags.connectTimeout);
  const { hive, targets } = await loadSelection(flags, patterns);
  if (!targets.some((t) => Object.keys(hive.instances[t]!.keys).length > 0)) {
    process.stderr.write('nix-hive: the selected instances have no keys\n');
    return 'ok';
  }
  const logs = logWriter();
  const tails = collectFailedTails();
  const view: EventSink = flags.json
    ? jsonRenderer((l) => process.stdout.write(l + '\n'))
    : plainRenderer((l) => process.stderr.write(l + '\n'), { verbose: flags.verbose });
  const emit = teeSinks(logs.sink, tails.sink, view);
  const interrupt = interruptSignals((text) => emit({ kind: 'message', level: 'warn', text }));
  try {
    const report = await uploadKeysOnly(hive, targets, {
      parallel,
      emit,
      signal: interrupt.stop,
      killSignal: interrupt.kill,
      ssh: { connectTimeout },
    });
    if (!flags.json) process.stdout.write(renderSummary(report, tails.tails));
    return outcomeOf(report);
  } finally {
    interrupt.dispose();
    await logs.close();
  }
}

export function registerUploadKeys(program: Command): void {
  const cmd = program
    .command('upload-keys')
    .description("re-send the selected instances' keys without a deploy (one remote command per host)")
    .argument('[patterns...]', 'instance names, system names, tags, @tag, !exclude, globs; none = all');
  addConfigOption(cmd);
  cmd
    .option('--json', 'one JSON event per line on stdout, then the report')
    .option('--parallel <n>', 'how many hosts receive keys at once', '10')
    .option('-v, --verbose', 'print every output line')
    .option('--connect-timeout <s>', 'seconds to wait for a host to answer', '10')
    .action(act((patterns: string[], flags: UploadKeysFlags) => runUploadKeys(patterns, flags)));
}
