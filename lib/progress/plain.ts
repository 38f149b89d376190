// Plain progress lines for logs and non-TTY terminals: one line per step start and end.
import type { HiveEvent } from './events.ts';
import { formatDuration } from './summary.ts';

export function plainRenderer(
  write: (line: string) => void,
  options: { verbose?: boolean } = {},
): (e: HiveEvent) => void {
  const t0 = performance.now();
  const stamp = () => `[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s]`;
  return (e) => {
    switch (e.kind) {
      case 'plan':
        write(
          `nix-hive: run ${e.runId}: ${e.plan.targets.length} instance(s), ${e.plan.systems.length} system(s), ${e.plan.steps.length} step(s), goal ${e.plan.goal}`,
        );
        return;
      case 'step-start':
        write(`${stamp()} start   ${e.label}`);
        return;
      case 'step-log':
        if (options.verbose) write(`${stamp()}   ${e.target ?? e.step} | ${e.line}`);
        return;
      case 'step-end': {
        const word = {
          ok: 'ok     ',
          failed: 'FAILED ',
          skipped: 'skipped',
          interrupted: 'stopped',
          'rolled-back': 'ROLLED BACK',
          unreachable: 'UNREACHABLE',
          degraded: 'DEGRADED',
          'needs-reboot': 'needs reboot',
          busy: 'BUSY   ',
        }[e.outcome];
        const why = e.reason ? `: ${e.reason}` : '';
        write(
          `${stamp()} ${word} ${e.label}${e.outcome === 'ok' ? ` (${formatDuration(e.durationMs)})` : why}`,
        );
        return;
      }
      case 'message':
        write(`nix-hive: ${e.level === 'warn' ? 'warning: ' : ''}${e.text}`);
        return;
      case 'report':
        return;
    }
  };
}
