// One block of the diff from what was read for its pair (pure): the package diff, the closure sizes, the bytes
// still to copy, the hosts that need a reboot, the service changes.
import { diffPackages } from './packages.ts';
import { parseDryActivate } from './activation.ts';
import type { Pair } from './group.ts';
import { BOOT_PARTS, type BootPart, type DiffBlock, type SizedPath } from './types.ts';

export interface PairReading {
  /** The running system's closure, read on the instance `on`. */
  before?: SizedPath[];
  /** The new system's closure. */
  after?: SizedPath[];
  /** Paths of the new closure that `on`'s store lacks. */
  missing?: string[];
  on: string;
  /** The new system's boot parts (store paths, kernel parameters). */
  targetBoot?: Record<BootPart, string>;
  /** dry-activate's output on `on`, or why it did not run. */
  dryActivate?: { output: string } | { unknown: string };
  error?: string;
}

const total = (paths: readonly SizedPath[]) => paths.reduce((n, p) => n + p.narSize, 0);

/** The boot parts of `target` that differ from what an instance booted (none when its booted system is unknown). */
export function rebootParts(booted: Record<BootPart, string>, target: Record<BootPart, string>): BootPart[] {
  if (BOOT_PARTS.every((p) => booted[p] === '')) return [];
  return BOOT_PARTS.filter((p) => booted[p] !== target[p]);
}

export function diffBlock(pair: Pair, read: PairReading): DiffBlock {
  const block: DiffBlock = {
    systems: pair.systems,
    from: pair.from,
    to: pair.to,
    instances: pair.members.map((m) => m.instance),
    unchanged: pair.from === pair.to,
    needsReboot: [],
  };
  if (read.error) block.error = read.error;
  if (read.before && read.after) {
    block.packages = diffPackages(
      read.before.map((p) => p.path),
      read.after.map((p) => p.path),
    );
    const before = total(read.before);
    const after = total(read.after);
    block.size = { before, after, delta: after - before };
  }
  if (read.after && read.missing) {
    const missing = new Set(read.missing);
    const lacking = read.after.filter((p) => missing.has(p.path));
    block.toCopy = { bytes: total(lacking), paths: lacking.length, on: read.on };
  }
  if (read.targetBoot) {
    for (const m of pair.members) {
      const parts = rebootParts(m.booted, read.targetBoot);
      if (parts.length) block.needsReboot.push({ instance: m.instance, parts });
    }
  }
  if (read.dryActivate) {
    block.services =
      'output' in read.dryActivate
        ? { on: read.on, changes: parseDryActivate(read.dryActivate.output) }
        : { unknown: read.dryActivate.unknown };
  }
  return block;
}
