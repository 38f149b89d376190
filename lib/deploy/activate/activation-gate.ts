// The confirmation before activation (`deploy --diff`, `--confirm`): every activation waits until all builds,
// signs, pre-activation key uploads and copies have ended (copies change nothing that runs), then the
// caller's `confirm` is asked once; a "no" skips every activation with `not confirmed`.
import type { Step } from '../../plan/types.ts';

export const NOT_CONFIRMED = 'not confirmed';

/** Steps an activation waits for: all but activations and what runs after them. */
const before = (s: Step) => s.kind !== 'activate' && !(s.kind === 'keys' && s.uploadAt === 'post-activation');

export class ActivationGate {
  private left: Set<string>;
  private readonly copied: Promise<void>;
  private release: () => void = () => {};
  private answer: Promise<boolean> | undefined;

  constructor(
    steps: readonly Step[],
    private readonly confirm: () => Promise<boolean>,
  ) {
    this.left = new Set(steps.filter(before).map((s) => s.id));
    this.copied = new Promise((r) => (this.release = r));
    if (this.left.size === 0) this.release();
  }

  /** Called for every step that ends, whatever its outcome. */
  ended(step: Step): void {
    if (this.left.delete(step.id) && this.left.size === 0) this.release();
  }

  /** Undefined to go on, or the reason the activation is skipped. */
  async gate(step: Step): Promise<string | undefined> {
    if (step.kind !== 'activate') return undefined;
    await this.copied;
    this.answer ??= this.confirm().catch(() => false);
    return (await this.answer) ? undefined : NOT_CONFIRMED;
  }
}
