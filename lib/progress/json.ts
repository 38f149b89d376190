// `--json`: one JSON object per event and line, ending with the report object.
import type { HiveEvent } from './events.ts';

export function jsonRenderer(write: (line: string) => void): (e: HiveEvent) => void {
  return (e) => {
    if (e.kind === 'plan') {
      write(JSON.stringify({ kind: 'plan', runId: e.runId, logDir: e.logDir, plan: e.plan }));
      return;
    }
    write(JSON.stringify(e));
  };
}
