// The deploy's named concurrency limits (one home for every semaphore): per phase (copies, activations),
// per store (how many instances substitute from it at once) and per destination (one copy into a store at
// a time: copies share its connection, and Nix races creating an empty store).
import type { Step } from '../../plan/types.ts';
import { destinationName } from '../../plan/types.ts';
import { Semaphore } from './semaphore.ts';

export interface LimitOptions {
  /** Copies from here or from a store at once, and activations at once (`--parallel`); not relayed copies. */
  parallel: number;
  /** Instances substituting from one store at once (`--store-fanout`). */
  storeFanout: number;
}

export class DeployLimits {
  readonly copies: Semaphore;
  readonly activations: Semaphore;
  private readonly storeFanout = new Map<string, Semaphore>();
  private readonly destinations = new Map<string, Semaphore>();

  constructor(private readonly options: LimitOptions) {
    this.copies = new Semaphore(options.parallel);
    this.activations = new Semaphore(options.parallel);
  }

  /** How many may pull from `store` at once. */
  fanoutOf(store: string): Semaphore {
    let s = this.storeFanout.get(store);
    if (!s) this.storeFanout.set(store, (s = new Semaphore(this.options.storeFanout)));
    return s;
  }

  /** One copy into `dest` at a time. */
  into(dest: string): Semaphore {
    let s = this.destinations.get(dest);
    if (!s) this.destinations.set(dest, (s = new Semaphore(1)));
    return s;
  }

  /** The semaphores a step holds while it runs, in a fixed order (see `withAll`); `pushed`: see distribution.ts. */
  of(step: Step, pushed = false): Semaphore[] {
    switch (step.kind) {
      case 'copy': {
        const into = this.into(destinationName(step.to));
        // Pushed from here (a small change): nothing is pulled from the store or a relay.
        if (pushed) return [into, this.copies];
        // A relayed copy pulls from its relay, not its store (a fallback to the store is not counted), and
        // is not one of the `--parallel` copies: its bytes go host to host on the internal network, the tree
        // already feeds ⌈k/2⌉ children a parent at a time (plan/relay.ts), and a global cap of 10 turned
        // 120 hosts' ⌈log_k N⌉ rounds back into N / 10 batches (the per-host bench's large change).
        if (step.relay) return [into, this.fanoutOf(step.relay.parent)];
        const from = step.from && destinationName(step.from);
        return from ? [into, this.copies, this.fanoutOf(from)] : [into, this.copies];
      }
      case 'activate':
        return [this.activations];
      default:
        return [];
    }
  }
}
