// The headline figures, derived from the raw measurements: ratios to the unique closure bytes, median
// wall-time ratios over the shaped rounds, the lower bound, connections per host. Used by the report,
// the chart and the smoke test alike.
import { JUMP } from './bench-hive.ts';
import type { ClosureSize } from './closure.ts';
import type { FleetResults } from './fleet-bench.ts';
import { median } from './stats.ts';
import { VARIANTS, type VariantName } from './variants.ts';

export interface FleetFigures {
  uniqueBytes: number;
  hosts: number;
  /** Bytes off the deployer ÷ unique closure bytes (unshaped run). */
  bytesRatio: Record<VariantName, number>;
  /** Bytes the hosts sent on the internal network ÷ unique closure bytes (nix-hive's substitution). */
  internalRatio: Record<VariantName, number>;
  /** Connections the jump host accepted from the deployer in one deploy. */
  jumpConnections: Record<VariantName, number>;
  /** Mean connections each internal host accepted (relayed through the jump host) in one deploy. */
  internalConnections: Record<VariantName, number>;
  /** All deployer-side connections ÷ hosts. */
  connectionsPerHost: Record<VariantName, number>;
  /** Connections the jump host accepted from instances substituting from it (nix-hive's design). */
  substituterConnections: Record<VariantName, number>;
  shaped?: {
    mbit: number;
    rounds: number;
    wallMedianMs: Record<VariantName, number>;
    /** Median over rounds of (variant ÷ nix-hive) wall time. */
    wallRatioToHive: Record<VariantName, number>;
    /** Unique bytes at the uplink rate plus one activation (the fastest plain-ssh activation seen). */
    lowerBoundMs: number;
    oneActivationMs: number;
    hiveToLowerBound: number;
  };
  redeploy?: {
    txBytes: number;
    bytesRatio: number;
    wallMs: number;
    timeRatio: number;
    /** Store paths copied by the re-deploy (first deploy's count beside it). */
    copiedPaths: number | undefined;
    firstCopiedPaths: number | undefined;
  };
}

const byVariant = (f: (v: VariantName) => number) =>
  Object.fromEntries(VARIANTS.map((v) => [v, f(v)])) as Record<VariantName, number>;

export function fleetFigures(unique: ClosureSize, r: FleetResults): FleetFigures {
  const first = (v: VariantName) => r.unshaped[v].first;
  const hostNames = Object.keys(first('nix-hive').connections);
  const internal = hostNames.filter((h) => h !== JUMP);
  const out: FleetFigures = {
    uniqueBytes: unique.bytes,
    hosts: hostNames.length,
    bytesRatio: byVariant((v) => first(v).txBytes / unique.bytes),
    internalRatio: byVariant((v) => first(v).internalTxBytes / unique.bytes),
    jumpConnections: byVariant((v) => first(v).connections[JUMP] ?? 0),
    internalConnections: byVariant(
      (v) => internal.reduce((a, h) => a + (first(v).connections[h] ?? 0), 0) / Math.max(1, internal.length),
    ),
    connectionsPerHost: byVariant(
      (v) =>
        hostNames.reduce((a, h) => a + (first(v).connections[h] ?? 0), 0) / Math.max(1, hostNames.length),
    ),
    substituterConnections: byVariant((v) => first(v).substituterConnections),
  };
  const rounds = r.shaped.rounds;
  if (rounds.length > 0) {
    const wallMedianMs = byVariant((v) => median(rounds.map((x) => x[v].wallMs)));
    const wallRatioToHive = byVariant((v) => median(rounds.map((x) => x[v].wallMs / x['nix-hive'].wallMs)));
    const activations = rounds.flatMap((x) => x.sequential.activationMs);
    const oneActivationMs = activations.length ? Math.min(...activations) : 0;
    const lowerBoundMs = ((unique.bytes * 8) / (r.shaped.mbit * 1e6)) * 1000 + oneActivationMs;
    out.shaped = {
      mbit: r.shaped.mbit,
      rounds: rounds.length,
      wallMedianMs,
      wallRatioToHive,
      lowerBoundMs,
      oneActivationMs,
      hiveToLowerBound: wallMedianMs['nix-hive'] / lowerBoundMs,
    };
  }
  const again = r.unshaped['nix-hive'].again;
  if (again) {
    out.redeploy = {
      txBytes: again.txBytes,
      bytesRatio: again.txBytes / unique.bytes,
      wallMs: again.wallMs,
      timeRatio: again.wallMs / first('nix-hive').wallMs,
      copiedPaths: again.copiedPaths,
      firstCopiedPaths: first('nix-hive').copiedPaths,
    };
  }
  return out;
}
