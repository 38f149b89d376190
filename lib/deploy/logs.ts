// Per-host logs: every output line of a step goes to `.hive/logs/<run>/<instance>.log` (build and
// sign output to `build.log`), written as the events arrive. An event consumer, like the renderers.
import { mkdirSync, createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { HiveEvent } from '../progress/events.ts';

export function logFileName(target: string | undefined): string {
  if (target === undefined) return 'build.log';
  return `${target.replace(/[^A-Za-z0-9._-]+/g, '_')}.log`;
}

export function logWriter(): { sink: (e: HiveEvent) => void; close(): Promise<void> } {
  let dir: string | undefined;
  const files = new Map<string, WriteStream>();
  const fileFor = (target: string | undefined) => {
    const name = logFileName(target);
    let f = files.get(name);
    if (!f && dir) {
      f = createWriteStream(path.join(dir, name), { flags: 'a' });
      files.set(name, f);
    }
    return f;
  };
  return {
    sink: (e) => {
      if (e.kind === 'plan') {
        dir = e.logDir;
        mkdirSync(dir, { recursive: true });
      } else if (e.kind === 'step-start') {
        fileFor(e.target)?.write(`==> ${e.label}\n`);
      } else if (e.kind === 'step-log') {
        fileFor(e.target)?.write(`${e.line}\n`);
      } else if (e.kind === 'step-end') {
        fileFor(e.target)?.write(`<== ${e.outcome}${e.reason ? `: ${e.reason}` : ''}\n`);
      }
    },
    close: async () => {
      await Promise.all([...files.values()].map((f) => new Promise<void>((r) => f.end(r))));
      files.clear();
    },
  };
}
