// Per-host logs: every output line of a step goes to `.hive/logs/<run>/<instance>.log` (build and
// sign output to `build.log`), written as the events arrive. An event consumer, like the renderers.
// A log that cannot be written (a full disk, a read-only folder) never stops the deploy: the writer
// warns once, through `warn`, and drops the log lines from then on.
import { mkdirSync, createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { HiveEvent } from '../../progress/events.ts';

export function logFileName(target: string | undefined): string {
  if (target === undefined) return 'build.log';
  return `${target.replace(/[^A-Za-z0-9._-]+/g, '_')}.log`;
}

export interface LogWriter {
  sink: (e: HiveEvent) => void;
  close(): Promise<void>;
}

export function logWriter(warn: (text: string) => void = () => {}): LogWriter {
  let dir: string | undefined;
  /** Set once a write failed: no more log lines are written. */
  let broken = false;
  const files = new Map<string, WriteStream>();
  const fail = (what: string, err: unknown) => {
    if (broken) return;
    broken = true;
    const e = err as NodeJS.ErrnoException;
    warn(`cannot write the logs (${what}: ${e?.code ?? e?.message ?? String(err)}); going on without them`);
    for (const f of files.values()) f.destroy();
  };
  const fileFor = (target: string | undefined) => {
    if (broken || !dir) return undefined;
    const name = logFileName(target);
    let f = files.get(name);
    if (!f) {
      const file = path.join(dir, name);
      f = createWriteStream(file, { flags: 'a' });
      f.on('error', (err) => fail(file, err));
      files.set(name, f);
    }
    return f;
  };
  const write = (target: string | undefined, text: string) => {
    const f = fileFor(target);
    if (f && !f.destroyed) f.write(text);
  };
  return {
    sink: (e) => {
      if (e.kind === 'plan') {
        dir = e.logDir;
        try {
          mkdirSync(dir, { recursive: true });
        } catch (err) {
          fail(dir, err);
        }
      } else if (e.kind === 'step-start') {
        write(e.target, `==> ${e.label}\n`);
      } else if (e.kind === 'step-log') {
        write(e.target, `${e.line}\n`);
      } else if (e.kind === 'step-end') {
        write(e.target, `<== ${e.outcome}${e.reason ? `: ${e.reason}` : ''}\n`);
      }
    },
    close: async () => {
      await Promise.all(
        [...files.values()].map(
          (f) =>
            new Promise<void>((r) => {
              if (f.destroyed || f.closed) return r();
              f.once('close', () => r());
              f.end();
            }),
        ),
      );
      files.clear();
    },
  };
}
