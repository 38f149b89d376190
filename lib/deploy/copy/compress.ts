// Which copies are compressed (`compress: 'auto' | true | false`, hive-level and per store). `auto` compresses
// the legs that leave the deployer — every `nix copy` nix-hive runs from here: pushes to store hosts, direct
// pushes, what an instance behind a store takes from here — and leaves internal legs (host to host, e.g. an
// instance substituting from its store, or a relay) alone unless a setting says `true`. The most specific
// setting wins: the destination's own, then its store's, then the hive's.
import type { CompressMode, ResolvedHive } from '../../inventory/types.ts';
import type { CopyStep, Destination } from '../../plan/types.ts';

/** A leg that leaves the deployer (its uplink) or one between hosts. */
export type Leg = 'uplink' | 'internal';

export function compressLeg(mode: CompressMode | undefined, leg: Leg): boolean {
  return mode === true || ((mode ?? 'auto') === 'auto' && leg === 'uplink');
}

const own = (hive: ResolvedHive, d: Destination | undefined): CompressMode | undefined =>
  d?.kind === 'instance' ? hive.instances[d.name]?.compress : undefined;

/** The setting that governs a copy to `step.to` (through `step.from`, its store). */
export function copyCompressMode(hive: ResolvedHive, step: Pick<CopyStep, 'to' | 'from'>): CompressMode {
  return own(hive, step.to) ?? own(hive, step.from) ?? hive.compress ?? 'auto';
}

/** Whether the deployer's copy `step` is compressed (every copy the deployer runs leaves it). */
export function compressCopy(hive: ResolvedHive, step: Pick<CopyStep, 'to' | 'from'>): boolean {
  return compressLeg(copyCompressMode(hive, step), 'uplink');
}

/** Instances whose ssh connection from here carries a compressed copy: `Compression yes` in their Host block. */
export function compressedHosts(hive: ResolvedHive, steps: ReadonlyArray<{ kind: string }>): string[] {
  const names = new Set<string>();
  for (const s of steps) {
    if (s.kind !== 'copy') continue;
    const c = s as CopyStep;
    if (c.to.kind === 'instance' && compressCopy(hive, c)) names.add(c.to.name);
  }
  return [...names].sort();
}
