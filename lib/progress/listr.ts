// The TTY view: listr2 with one row per phase (build, sign, copy, activate). Each row's title counts
// its steps, grouped per store (copies) or per system (activations), so 1,000 hosts stay readable;
// its output bar shows the steps running now. Fed by events; `close()` ends the view on every path (the
// report, a failure after the plan, an exception) and resolves once the terminal is given back.
import type { ListrTaskWrapper } from 'listr2';
import type { StepKind } from '../plan/types.ts';
import { destinationName } from '../plan/types.ts';
import { isFailure, isSuccess, type HiveEvent } from './events.ts';

interface Phase {
  kind: StepKind;
  total: number;
  done: number;
  failed: number;
  skipped: number;
  running: Map<string, string>;
  groups: Map<string, { total: number; done: number; failed: number }>;
  groupOf: Map<string, string>;
  task?: ListrTaskWrapper<unknown, never, never>;
  /** Its listr task has ended: nothing may be written to it any more. */
  closed?: boolean;
  finish?: (failed: number) => void;
}

const PHASES: StepKind[] = ['build', 'sign', 'keys', 'copy', 'activate'];
/** Narrower than this (a 0-column terminal, a tiny pane), the view draws plain lines instead. */
export const MIN_COLUMNS = 40;

/**
 * Whether the listr view can draw here: it writes to stdout, so stdout and stderr must both be a terminal
 * (`deploy | head` gets plain lines), and wide enough: listr wraps at `columns`, one character per line at 0.
 */
export function listrFits(
  out: { isTTY?: boolean; columns?: number } = process.stdout,
  err: { isTTY?: boolean } = process.stderr,
): boolean {
  return Boolean(out.isTTY && err.isTTY) && (out.columns ?? 0) >= MIN_COLUMNS;
}
const REDRAW_MS = 150;

export interface ListrView {
  sink: (e: HiveEvent) => void;
  /** Ends every row still open (as not finished) and resolves when listr has drawn its last frame. */
  close(): Promise<void>;
}

/** Async only to load listr2 on first use (not at the CLI's start-up). */
export async function listrRenderer(): Promise<ListrView> {
  const { Listr } = await import('listr2');
  const phases = new Map<StepKind, Phase>();
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => (resolveDone = r));
  let started = false;
  let ended = false;
  /** The last warning (Ctrl-C, a log that cannot be written): shown under every running row. */
  let notice = '';

  const title = (p: Phase) => {
    const groups = [...p.groups.entries()]
      .map(([g, c]) => `${g} ${c.done}/${c.total}${c.failed ? ` (${c.failed} not ok)` : ''}`)
      .slice(0, 6)
      .join(' · ');
    const more = p.groups.size > 6 ? ` · +${p.groups.size - 6} groups` : '';
    return `${p.kind} ${p.done}/${p.total}${p.failed ? `, ${p.failed} failed` : ''}${p.skipped ? `, ${p.skipped} skipped` : ''}${groups ? `  ${groups}${more}` : ''}`;
  };
  // listr2 redraws on every title/output change (milliseconds each), so changes are marked and drawn
  // at most every REDRAW_MS; a phase that ends is drawn at once.
  const dirty = new Set<Phase>();
  let timer: NodeJS.Timeout | undefined;
  const draw = (p: Phase) => {
    dirty.delete(p);
    if (!p.task || p.closed) return;
    p.task.title = title(p);
    p.task.output = [...(notice ? [notice] : []), ...[...p.running.values()].slice(-5)].join('\n');
  };
  const refresh = (p: Phase) => {
    dirty.add(p);
    timer ??= setInterval(() => [...dirty].forEach(draw), REDRAW_MS).unref();
  };
  const stopTimer = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };

  const sink = (e: HiveEvent) => {
    if (e.kind === 'plan') {
      for (const kind of PHASES) {
        const steps = e.plan.steps.filter((s) => s.kind === kind);
        if (steps.length === 0) continue;
        const p: Phase = {
          kind,
          total: steps.length,
          done: 0,
          failed: 0,
          skipped: 0,
          running: new Map(),
          groups: new Map(),
          groupOf: new Map(),
        };
        for (const s of steps) {
          const g =
            s.kind === 'copy'
              ? s.from
                ? `via ${destinationName(s.from)}`
                : 'from here'
              : s.kind === 'activate'
                ? s.system
                : s.system;
          p.groupOf.set(s.id, g);
          const c = p.groups.get(g) ?? { total: 0, done: 0, failed: 0 };
          c.total++;
          p.groups.set(g, c);
        }
        phases.set(kind, p);
      }
      const list = new Listr(
        [...phases.values()].map((p) => ({
          title: title(p),
          task: (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) =>
            new Promise<void>((resolve, reject) => {
              p.task = task;
              p.finish = (failed) => {
                if (p.closed) return;
                p.closed = true;
                // listr2 shows a failed task's error in place of its title: make it the title.
                if (failed) reject(new Error(title(p)));
                else resolve();
              };
              settle(p);
            }),
        })),
        // No listr SIGINT handler: it calls process.exit, before our orderly stop could end anything.
        { concurrent: true, exitOnError: false, registerSignalListeners: false },
      );
      started = true;
      list.run().then(resolveDone, resolveDone);
      return;
    }
    if (e.kind === 'step-start') {
      const p = phases.get(e.stepKind);
      if (!p) return;
      p.running.set(e.step, e.label);
      refresh(p);
    } else if (e.kind === 'step-end') {
      const p = phases.get(e.stepKind);
      if (!p) return;
      p.running.delete(e.step);
      p.done++;
      if (isFailure(e.outcome) || e.outcome === 'interrupted') p.failed++;
      if (e.outcome === 'skipped') p.skipped++;
      const g = p.groups.get(p.groupOf.get(e.step) ?? '');
      if (g) {
        g.done++;
        if (!isSuccess(e.outcome)) g.failed++;
      }
      if (p.done < p.total) return refresh(p);
      draw(p);
      settle(p);
    } else if (e.kind === 'message') {
      notice = `${e.level === 'warn' ? 'warning: ' : ''}${e.text}`;
      for (const p of phases.values()) refresh(p);
    } else if (e.kind === 'report') {
      end();
    }
  };
  // A row ends when all its steps did, or when the view is closed (the rest never ran: not ok).
  const settle = (p: Phase) => {
    if (p.done >= p.total) p.finish?.(p.failed + p.skipped);
    else if (ended) p.finish?.(p.total - p.done + p.failed + p.skipped);
  };
  const end = () => {
    ended = true;
    stopTimer();
    for (const p of phases.values()) {
      draw(p);
      settle(p);
    }
  };
  return {
    sink,
    close: async () => {
      end();
      if (started) await done;
    },
  };
}
