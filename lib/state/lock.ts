// One deploy at a time per hive.state: `<state>.lock` beside it, made atomically (written whole under a temp
// name, then hard-linked into place, which fails if a lock exists) and holding the holder's pid, host and
// run id. A second deploy refuses at once, naming the holder. A lock whose pid is dead on this host (a
// deploy killed with SIGKILL) is stale and taken over. Released when the deploy ends, or at process exit.
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { StateError } from '../errors.ts';

export interface LockHolder {
  pid: number;
  host: string;
  runId: string;
  since: string;
}

export interface StateLock {
  readonly file: string;
  release(): Promise<void>;
}

export function lockFileOf(stateFile: string): string {
  return `${stateFile}.lock`;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    return typeof h.pid === 'number' && typeof h.host === 'string'
      ? { pid: h.pid, host: h.host, runId: String(h.runId ?? '?'), since: String(h.since ?? '?') }
      : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock of `stateFile` for `runId`. Throws a StateError naming the deploy that holds it, or the fs
 * error when the lock cannot be made at all (the caller names the flag).
 */
export async function lockState(stateFile: string, runId: string): Promise<StateLock> {
  const file = lockFileOf(stateFile);
  const me: LockHolder = { pid: process.pid, host: hostname(), runId, since: new Date().toISOString() };
  const text = JSON.stringify(me) + '\n';
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}`,
  );
  await writeFile(tmp, text, { mode: 0o644 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(tmp, file);
        break;
      } catch (e) {
        // Not a lock held by someone: the fs error itself (a missing folder, a read-only one).
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      }
      const held = await readFile(file, 'utf8').catch(() => '');
      const holder = parseHolder(held);
      // A lock being written right now (empty) or a holder alive, or on another host: not ours to take.
      if (!holder || holder.host !== me.host || alive(holder.pid)) throw heldError(stateFile, file, holder);
      await unlink(file).catch(() => {});
    }
  } finally {
    await unlink(tmp).catch(() => {});
  }
  let released = false;
  const releaseSync = () => {
    if (released) return;
    released = true;
    try {
      if (readFileSync(file, 'utf8') === text) unlinkSync(file);
    } catch {
      // gone already
    }
  };
  process.once('exit', releaseSync);
  return {
    file,
    release: async () => {
      process.off('exit', releaseSync);
      releaseSync();
    },
  };
}

function heldError(stateFile: string, file: string, h: LockHolder | undefined): StateError {
  const who = h ? `pid ${h.pid} on ${h.host} (run ${h.runId}, since ${h.since})` : 'another deploy';
  return new StateError(`${stateFile} is locked by another deploy: ${who}`, {
    hint: `wait for it to end; if no such deploy runs, remove ${file}`,
  });
}
