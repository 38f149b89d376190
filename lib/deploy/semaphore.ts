// A counting semaphore: the concurrency limits of the runner (per phase, per store fan-out).

export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new Error(`semaphore limit must be ≥ 1, got ${limit}`);
  }

  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiting.shift()?.();
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
