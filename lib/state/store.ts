// Reading and writing `hive.state` atomically: write a temp file beside it, fsync, rename, fsync the
// folder. Writes are coalesced (one in flight, the latest content next) so a deploy of thousands of
// hosts can save after every step without rewriting the file thousands of times.
import { randomBytes } from 'node:crypto';
import { access, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { StateError } from '../errors.ts';
import { migrateState } from './migrate.ts';
import { emptyState, type HiveState } from './types.ts';

export async function readState(file: string): Promise<HiveState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw new StateError(`${file}: cannot read the state file`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new StateError(`${file}: the state file is not valid JSON`, {
      cause: err,
      hint: 'it is only a cache: move it away to start afresh',
    });
  }
  return migrateState(raw, file);
}

function tempName(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
}

/** Write `content` to `file` so that a reader sees the old or the new file, never a torn one. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const dir = path.dirname(file);
  const tmp = tempName(file);
  const fh = await open(tmp, 'w', 0o644);
  try {
    try {
      await fh.writeFile(content);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    // A full disk or an immutable target: no temp file is left behind.
    await unlink(tmp).catch(() => {});
    throw err;
  }
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** `EACCES: permission denied` from a Node fs error (its text up to the first comma), or the message. */
export function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (!err || typeof err.message !== 'string') return String(e);
  return err.code ? err.message.split(',')[0]! : err.message;
}

export function serializeState(state: HiveState): string {
  return JSON.stringify(state, null, 1) + '\n';
}

/** A state file that is saved after changes: `save()` coalesces; `flush()` waits until all is on disk. */
export class StateFile {
  private writing: Promise<void> | undefined;
  private dirty = false;
  private failure: unknown;
  writes = 0;

  constructor(
    readonly file: string,
    readonly state: HiveState,
  ) {}

  static async open(file: string): Promise<StateFile> {
    return new StateFile(file, await readState(file));
  }

  /**
   * Writes the state as every later save will (a temp file beside it, renamed over it), so a missing folder,
   * a read-only or immutable file is found before anything starts. A file that does not exist yet is not
   * created: only its temp file is, and removed. Throws the fs error.
   */
  async probeWrite(): Promise<void> {
    const exists = await access(this.file).then(
      () => true,
      () => false,
    );
    if (exists) return writeFileAtomic(this.file, serializeState(this.state));
    const tmp = tempName(this.file);
    const fh = await open(tmp, 'wx', 0o644);
    await fh.close();
    await unlink(tmp);
  }

  /** Ask for a save; returns at once. Errors surface from `flush()`. */
  save(): void {
    this.dirty = true;
    if (!this.writing) this.writing = this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        await writeFileAtomic(this.file, serializeState(this.state));
        this.writes++;
      }
    } catch (err) {
      this.failure = err;
    } finally {
      this.writing = undefined;
    }
  }

  async flush(): Promise<void> {
    if (this.dirty && !this.writing) this.writing = this.drain();
    while (this.writing) await this.writing;
    if (this.failure) {
      const err = this.failure;
      this.failure = undefined;
      throw new StateError(`${this.file}: cannot write the state file: ${errnoText(err)}`, { cause: err });
    }
  }
}
