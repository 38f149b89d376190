// Reads a key's content on the deployer, into memory only: `text` as given, `file` read whole, `command`
// run (no shell, in the config's folder) with its stdout kept as bytes. A failing command's error carries
// its stderr tail, never its stdout. Shared by key uploads and by the signing key.
import { readFile } from 'node:fs/promises';
import type { Spawner } from '../../exec/spawn.ts';
import { HostError } from '../../errors.ts';
import type { KeySource } from '../../inventory/types.ts';

export interface ReadKeyOptions {
  spawn: Spawner;
  /** Where a command runs (the config's folder). */
  cwd: string;
  signal?: AbortSignal;
  /** The command's stderr lines (its stdout, the secret, is never passed on). */
  onStderr?: (line: string) => void;
}

/** The content of a key (`what` names it in errors, e.g. `key db` or `signingKey`). */
export async function readKeySource(what: string, source: KeySource, o: ReadKeyOptions): Promise<Buffer> {
  switch (source.kind) {
    case 'text':
      return Buffer.from(source.text);
    case 'file':
      try {
        return await readFile(source.file);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        throw new HostError(`${what}: cannot read ${source.file} (${code})`);
      }
    case 'command': {
      const [command, ...args] = source.command;
      const r = await o.spawn(command!, args, {
        cwd: o.cwd,
        signal: o.signal,
        stdoutBytes: true,
        onLine: (stream, line) => {
          if (stream === 'stderr') o.onStderr?.(line);
        },
      });
      if (r.exitCode === 0 && !r.signal && !r.timedOut) return r.stdoutBytes ?? Buffer.alloc(0);
      r.stdoutBytes?.fill(0);
      const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`;
      const tail = r.stderr
        .split('\n')
        .filter((l) => l.trim() !== '')
        .at(-1);
      throw new HostError(`${what}: command ${command} ${how}${tail ? `: ${tail}` : ''}`);
    }
  }
}
