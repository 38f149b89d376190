// Renders the end-of-deploy summary: a table (instance, system, outcome, time, reason), the counts,
// and the last lines of each failed step. Pure text; the CLI decides where it goes.
import path from 'node:path';
import { isFailure, type DeployReport, type HiveEvent } from './events.ts';

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.round((ms % 60_000) / 1000)}s`;
}

export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

export function renderSummary(report: DeployReport, failedTails: Map<string, string[]>): string {
  const rows = [['INSTANCE', 'SYSTEM', 'OUTCOME', 'TIME', 'REASON']];
  for (const i of report.instances) {
    rows.push([i.instance, i.system, i.outcome, formatDuration(i.durationMs), i.reason ?? '']);
  }
  const count = (o: string) => report.instances.filter((i) => i.outcome === o).length;
  const lines = table(rows);
  const parts = [`${count('ok')} ok`, `${count('failed')} failed`, `${count('skipped')} skipped`];
  if (count('rolled-back')) parts.splice(2, 0, `${count('rolled-back')} rolled back`);
  if (count('unreachable')) parts.splice(2, 0, `${count('unreachable')} unreachable`);
  if (count('busy')) parts.splice(2, 0, `${count('busy')} busy`);
  if (count('degraded')) parts.splice(1, 0, `${count('degraded')} degraded`);
  if (count('needs-reboot')) parts.splice(1, 0, `${count('needs-reboot')} need a reboot`);
  if (report.interrupted || count('interrupted')) parts.push(`${count('interrupted')} interrupted`);
  lines.push(
    '',
    `${parts.join(', ')} in ${formatDuration(report.durationMs)} (goal ${report.goal}; logs in ${path.relative(process.cwd(), report.logDir) || report.logDir})`,
  );
  const reboot = report.instances.filter((i) => i.needsReboot).map((i) => i.instance);
  if (reboot.length) lines.push(`needs reboot (new kernel, initrd or modules): ${reboot.join(', ')}`);
  for (const i of report.instances) {
    if (i.failedUnits?.length) lines.push(`failed units on ${i.instance}: ${i.failedUnits.join(', ')}`);
  }
  for (const [step, tail] of failedTails) {
    if (tail.length === 0) continue;
    lines.push('', `--- last ${tail.length} lines of ${step} ---`, ...tail);
  }
  return lines.join('\n') + '\n';
}

/** Collects the tails of failed steps from the event stream, for the summary. */
export function collectFailedTails(): { sink: (e: HiveEvent) => void; tails: Map<string, string[]> } {
  const tails = new Map<string, string[]>();
  return {
    tails,
    sink: (e) => {
      if (e.kind === 'step-end' && isFailure(e.outcome)) tails.set(e.step, e.tail);
    },
  };
}
