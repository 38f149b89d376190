// The preflight of the store's own children in a relay tree, run as soon as the store holds the closure:
// the store feeds them a batch at a time, so most of them wait for a sibling's copy; meanwhile their
// preflight (their Nix settings, their substituter holding the closure) is done, and their copy starts
// with the transfer. The result (and its log lines) is handed to the copy step, which would otherwise run
// the same preflight itself: one preflight per copy either way.
import type { CopyStep } from '../../plan/types.ts';
import { outPathOf, type BuiltCtx, type RemoteCtx, type RunCtx, type SignCtx } from '../context.ts';
import { preflight } from '../copy/preflight.ts';
import type { StepIO } from '../run/run-dag.ts';

type Outcome = Awaited<ReturnType<typeof preflight>>;
interface Early {
  done: Promise<Outcome>;
  lines: Array<['stdout' | 'stderr', string]>;
}

export class EarlyPreflights {
  /** `system>store` → the copies to the store's children in the tree. */
  private readonly waiting = new Map<string, CopyStep[]>();
  private readonly started = new Map<string, Early>();

  constructor(
    private readonly ctx: Pick<RunCtx, 'plan'> & RemoteCtx & BuiltCtx & Pick<SignCtx, 'publicKey'>,
    private readonly signal: AbortSignal,
  ) {
    const copies = ctx.plan.steps.filter((s): s is CopyStep => s.kind === 'copy');
    for (const tree of ctx.plan.relay?.trees ?? []) {
      const kids = new Set(tree.feeds.find((f) => f.parent === tree.store)?.children ?? []);
      const steps = copies.filter(
        (c) => c.system === tree.system && c.to.kind === 'instance' && kids.has(c.to.name) && c.from,
      );
      const key = `${tree.system}>${tree.store}`;
      this.waiting.set(key, [...(this.waiting.get(key) ?? []), ...steps]);
    }
  }

  /** `holder` holds `system`'s closure now: when it is a tree's store, its children's preflights start. */
  holds(system: string, holder: string): void {
    const key = `${system}>${holder}`;
    const steps = this.waiting.get(key);
    if (!steps) return;
    this.waiting.delete(key);
    const outPath = outPathOf(this.ctx, system);
    for (const step of steps) {
      const lines: Early['lines'] = [];
      const io: StepIO = { log: (stream, line) => lines.push([stream, line]), signal: this.signal };
      const done = preflight(this.ctx, (step.to as { name: string }).name, step.from!, outPath, io);
      done.catch(() => {}); // taken (and thrown) by the copy step, or never needed
      this.started.set(step.id, { done, lines });
    }
  }

  /** The early preflight of this copy, its lines replayed into the step's log; undefined when none ran. */
  async take(step: CopyStep, io: StepIO): Promise<Outcome | undefined> {
    const early = this.started.get(step.id);
    if (!early) return undefined;
    this.started.delete(step.id);
    try {
      return await early.done;
    } finally {
      for (const [stream, line] of early.lines) io.log(stream, line);
    }
  }
}
