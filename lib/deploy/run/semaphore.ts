// A counting semaphore: the concurrency limits of the runner (per phase, per store fan-out). A released slot
// goes straight to the longest waiter (as tokio's semaphore does), so the limit holds at every moment.

export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new Error(`semaphore limit must be ≥ 1, got ${limit}`);
  }

  async acquire(): Promise<() => void> {
    // A free slot is taken at once; otherwise the waiter is handed the slot by the release itself, so no
    // acquire that runs between a release and the waiter's wake-up can take it too.
    if (this.active < this.limit) this.active++;
    else await new Promise<void>((r) => this.waiting.push(r));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }

  async with<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** Acquire several semaphores in a fixed order (avoids deadlock), release all at once. */
export async function withAll<T>(sems: Semaphore[], fn: () => Promise<T>): Promise<T> {
  const releases: Array<() => void> = [];
  try {
    for (const s of sems) releases.push(await s.acquire());
    return await fn();
  } finally {
    for (const r of releases.reverse()) r();
  }
}
