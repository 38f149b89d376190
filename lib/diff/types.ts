// The data of `nix-hive diff`: one block per distinct (running system → new system) pair, the instances it
// applies to, and the instances that could not be read. Its JSON form is schema/diff.schema.json.
import type { PackageDiff } from './packages.ts';
import type { ServiceChanges } from './activation.ts';

/** The parts of a system whose change needs a reboot to take effect. */
export const BOOT_PARTS = ['kernel', 'initrd', 'kernel-modules', 'kernel-params'] as const;
export type BootPart = (typeof BOOT_PARTS)[number];

/** What each instance answered: its running system and, per boot part, what its booted system has. */
export interface InstanceReading {
  instance: string;
  system: string;
  /** The store path behind /run/current-system (null: none to read). */
  running: string | null;
  /** Per boot part of /run/booted-system: a store path or the kernel parameters ('' when absent). */
  booted: Record<BootPart, string>;
}

/** A store path with its NAR size, as `nix path-info -s` gives it. */
export interface SizedPath {
  path: string;
  narSize: number;
}

export interface DiffBlock {
  /** The hive systems whose builds are `to`. */
  systems: string[];
  from: string;
  to: string;
  instances: string[];
  /** Nothing changes: the instances already run `to`. */
  unchanged: boolean;
  packages?: PackageDiff;
  /** Closure sizes in bytes (sums of NAR sizes, as `nix path-info -S`). */
  size?: { before: number; after: number; delta: number };
  /** What the instance read for this block still lacks of the new closure (bytes and paths). */
  toCopy?: { bytes: number; paths: number; on: string };
  /** Unit changes from `switch-to-configuration dry-activate` on `on`; or why they are not known. */
  services?: { on: string; changes: ServiceChanges } | { unknown: string };
  /** Instances whose booted kernel, initrd, modules or parameters differ from the new system's. */
  needsReboot: Array<{ instance: string; parts: BootPart[] }>;
  /** Reading the closure or comparing failed for this block (the rest still shown). */
  error?: string;
}

export interface FleetDiff {
  format: 'nix-hive/diff@1';
  blocks: DiffBlock[];
  /** Not answering over ssh. */
  unreachable: Array<{ instance: string; reason: string }>;
  /** Answering, but without a running system to compare. */
  unreadable: Array<{ instance: string; reason: string }>;
  /** Instances whose system was not built (a failed build): nothing to compare with. */
  unbuilt: Array<{ instance: string; reason: string }>;
  summary: string;
}
