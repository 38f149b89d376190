// Waves of a rollout (pure): activations in dependency order cut into a canary wave (`--canary n`) and
// waves of `--batch n|n%`; a store host or jump host therefore never lands in a later wave than an instance
// that waits for it. `--max-failed n|n%` is how many failed or rolled-back hosts stop the rollout: once
// that many have, no new wave starts. Copies are not in waves: they change nothing that runs.

/** A count, or a percentage of the targets (rounded up, at least 1). */
export type Size = { count: number } | { percent: number };

export interface WaveOptions {
  canary?: number;
  batch?: Size;
  maxFailed?: Size;
  /** Seconds to wait between waves. */
  pauseS?: number;
}

export interface Waves {
  /** Instance names per wave, in activation order. */
  waves: string[][];
  /** Failed or rolled-back hosts after which no new wave starts. */
  maxFailed: number;
  pauseS: number;
  /** The first wave is a canary (`--canary`). */
  canary: boolean;
}

export function sizeOf(size: Size, total: number): number {
  return 'count' in size ? size.count : Math.max(1, Math.ceil((size.percent * total) / 100));
}

/** Parses `5` or `20%` (a positive whole number, or a percentage in (0, 100]); undefined when it is neither. */
export function parseSize(text: string): Size | undefined {
  const m = /^(\d+)(%?)$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[2]) return n > 0 && n <= 100 ? { percent: n } : undefined;
  return n >= 1 ? { count: n } : undefined;
}

export function wavesWanted(o: WaveOptions | undefined): boolean {
  return Boolean(o && (o.canary !== undefined || o.batch !== undefined || o.maxFailed !== undefined));
}

/** Cuts `ordered` (activation order: every instance after those it waits for) into waves. */
export function planWaves(ordered: string[], o: WaveOptions): Waves {
  const total = ordered.length;
  const waves: string[][] = [];
  let i = 0;
  if (o.canary !== undefined && o.canary > 0) {
    waves.push(ordered.slice(0, o.canary));
    i = o.canary;
  }
  const batch = o.batch ? sizeOf(o.batch, total) : Math.max(1, total - i);
  for (; i < total; i += batch) waves.push(ordered.slice(i, i + batch));
  return {
    waves: waves.filter((w) => w.length > 0),
    maxFailed: o.maxFailed ? sizeOf(o.maxFailed, total) : 1,
    pauseS: o.pauseS ?? 0,
    canary: o.canary !== undefined && o.canary > 0,
  };
}
