// Runs the plan's waves (lib/plan/waves.ts): an activation of wave k starts only once every activation of the
// waves before it has ended, after the pause, and only while fewer hosts than `maxFailed` failed or were
// rolled back; otherwise it is skipped with `stopped after N failures`. Copies are never held back.
import { isFailure, type Outcome } from '../../progress/events.ts';
import type { Step } from '../../plan/types.ts';
import type { Waves } from '../../plan/waves.ts';
import { pause } from '../../util/poll.ts';

export class WaveGate {
  private readonly left: number[];
  private readonly done: Array<{ promise: Promise<void>; resolve: () => void }>;
  private readonly paused = new Map<number, Promise<unknown>>();
  private readonly failed = new Set<string>();

  constructor(
    private readonly waves: Waves,
    private readonly signal: AbortSignal,
  ) {
    this.left = waves.waves.map((w) => w.length);
    this.done = waves.waves.map(() => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve };
    });
  }

  /** Called for every step that ends (the deploy's event stream). */
  ended(step: Step, outcome: Outcome): void {
    const host =
      step.kind === 'activate'
        ? step.instance
        : step.kind === 'copy' && step.to.kind === 'instance'
          ? step.to.name
          : undefined;
    if (host !== undefined && isFailure(outcome)) this.failed.add(host);
    if (step.kind !== 'activate' || step.wave === undefined) return;
    if (--this.left[step.wave]! === 0) this.done[step.wave]!.resolve();
  }

  /** A skip reason, or undefined to go on (after the earlier waves and the pause). */
  async gate(step: Step): Promise<string | undefined> {
    if (step.kind !== 'activate' || step.wave === undefined) return undefined;
    const k = step.wave;
    for (let j = 0; j < k; j++) await this.done[j]!.promise;
    if (this.failed.size >= this.waves.maxFailed) return this.stopped();
    if (k > 0 && this.waves.pauseS > 0) {
      let p = this.paused.get(k);
      if (!p) this.paused.set(k, (p = pause(this.waves.pauseS * 1000, this.signal)));
      await p;
      if (this.failed.size >= this.waves.maxFailed) return this.stopped();
    }
    return undefined;
  }

  private stopped(): string {
    const n = this.failed.size;
    return `stopped after ${n} failure${n === 1 ? '' : 's'}`;
  }
}
