// Sections 1, 2, 3 and 6 of the benchmark, on the real test fleet: each variant (nix-hive and the two
// baselines) deploys the bench hive to a fresh fleet of its own (so every variant starts from empty
// stores), measured the same way. Unshaped: bytes, connections, and nix-hive's re-deploy of the unchanged
// fleet. Shaped (tc tbf on the deployer's uplink): wall time, variants in alternation, several rounds.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { startFleet, type Fleet } from '../test/fleet/harness/fleet.ts';
import {
  fleetHosts,
  JUMP,
  writeHiveConfig,
  writeHiveFiles,
  wwwNames,
  type BenchHiveFiles,
  type HiveShape,
} from './bench-hive.ts';
import { uniqueClosure, type ClosureSize } from './closure.ts';
import {
  cliEnv,
  deployNixHive,
  deployParallel,
  deploySequential,
  measure,
  runCli,
  verifyDeployed,
  VARIANTS,
  type Measurement,
  type Targets,
  type VariantName,
} from './variants.ts';

export interface Prepared {
  files: BenchHiveFiles;
  workDir: string;
  outPaths: { portico: string; www: string };
  targets: Targets;
  unique: ClosureSize;
  /** The www closure alone (what each internal host needs). */
  www: ClosureSize;
}

/** Writes the bench hive, builds both systems once with `nix-hive build`, and sizes their closures. */
export async function prepare(
  workDir: string,
  shape: HiveShape,
  nixEnv: Record<string, string>,
): Promise<Prepared> {
  const files = await writeHiveFiles(path.join(workDir, 'hive'), shape);
  const config = await writeHiveConfig(files, path.join(workDir, 'build'));
  const env = { ...(await cliEnv({ nixEnv: () => nixEnv } as Fleet, path.join(workDir, 'home'))) };
  const r = await runCli(['build', '-c', config, '--no-state'], env);
  if (r.exitCode !== 0) throw new Error(`nix-hive build failed: ${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout) as { systems: Record<string, { outPath: string }> };
  const outPaths = { portico: out.systems.portico!.outPath, www: out.systems.www!.outPath };
  const targets: Targets = [
    { host: JUMP, outPath: outPaths.portico },
    ...wwwNames(shape).map((host) => ({ host, outPath: outPaths.www })),
  ];
  return {
    files,
    workDir,
    outPaths,
    targets,
    unique: await uniqueClosure([outPaths.portico, outPaths.www], nixEnv),
    www: await uniqueClosure([outPaths.www], nixEnv),
  };
}

let fleetCount = 0;

/**
 * Initialises every host's empty Nix store in place (`nix-store --init`, no network), as on any installed
 * host. A fleet host's /nix starts empty, and two `nix copy` processes opening such a store at once race
 * creating it ("SQLite database … is busy", "creating symlink … File exists"): nix-hive copies two closures
 * to the jump host at once and hit that race in about one run of three.
 */
export async function initStores(fleet: Fleet): Promise<void> {
  await Promise.all(
    Object.values(fleet.hosts).map(async (h) => {
      const r = await h.exec(['nix-store', '--init']);
      if (r.exitCode !== 0) throw new Error(`nix-store --init on ${h.name}: ${r.stderr.trim()}`);
    }),
  );
}

/** Starts a fresh fleet for the bench hive, runs `fn`, always disposes it. */
export async function withFleet<T>(
  p: Prepared,
  shapeUplinkMbit: number | undefined,
  fn: (fleet: Fleet, configFile: string, stateFile: string) => Promise<T>,
): Promise<T> {
  const fleet = await startFleet({
    hosts: fleetHosts(p.files),
    ...(shapeUplinkMbit ? { shapeUplinkMbit } : {}),
  });
  const dir = path.join(p.workDir, `fleet-${++fleetCount}`);
  try {
    await initStores(fleet);
    const configFile = await writeHiveConfig(p.files, dir, fleet);
    return await fn(fleet, configFile, path.join(dir, 'hive.state'));
  } finally {
    await fleet.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

export interface VariantResult {
  first: Measurement;
  /** nix-hive only: the same deploy again on the unchanged fleet. */
  again?: Measurement;
}

/** One variant on a fresh fleet, checked afterwards; nix-hive also re-deploys when `redeploy` is set. */
export async function runVariant(
  p: Prepared,
  variant: VariantName,
  options: { shapeUplinkMbit?: number; redeploy?: boolean } = {},
): Promise<VariantResult> {
  return withFleet(p, options.shapeUplinkMbit, async (fleet, configFile, stateFile) => {
    const deployOnce = () => {
      switch (variant) {
        case 'nix-hive':
          return deployNixHive(fleet, configFile, stateFile);
        case 'sequential':
          return deploySequential(fleet, p.targets);
        case 'parallel':
          return deployParallel(fleet, p.targets, 10);
      }
    };
    const first = await measure(fleet, variant, deployOnce);
    await verifyDeployed(fleet, p.targets, variant);
    const again =
      options.redeploy && variant === 'nix-hive' ? await measure(fleet, variant, deployOnce) : undefined;
    return { first, ...(again ? { again } : {}) };
  });
}

export interface FleetResults {
  unshaped: Record<VariantName, VariantResult>;
  shaped: { mbit: number; rounds: Array<Record<VariantName, Measurement>> };
  /** Variant runs that failed (retried once unshaped; a shaped round with a failure is left out). */
  failures: string[];
}

const errorLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** Sections 1, 3, 6 (one unshaped deploy per variant) and 2 (`rounds` shaped rounds, order rotating). */
export async function fleetBench(
  p: Prepared,
  options: { rounds: number; mbit: number; log: (line: string) => void },
): Promise<FleetResults> {
  const failures: string[] = [];
  const unshaped = {} as Record<VariantName, VariantResult>;
  for (const v of VARIANTS) {
    options.log(`  unshaped: ${v}…`);
    try {
      unshaped[v] = await runVariant(p, v, { redeploy: true });
    } catch (err) {
      failures.push(`unshaped ${v} failed once and was run again: ${errorLine(err)}`);
      options.log(`    failed (${errorLine(err)}); once more`);
      unshaped[v] = await runVariant(p, v, { redeploy: true });
    }
    const m = unshaped[v].first;
    options.log(`    ${(m.wallMs / 1000).toFixed(1)} s, ${m.txBytes} bytes sent`);
  }
  const rounds: Array<Record<VariantName, Measurement>> = [];
  for (let r = 0; r < options.rounds; r++) {
    const round = {} as Record<VariantName, Measurement>;
    const order = VARIANTS.map((_v, i) => VARIANTS[(i + r) % VARIANTS.length]!);
    let ok = true;
    for (const v of order) {
      options.log(`  shaped ${options.mbit} Mbit/s, round ${r + 1}/${options.rounds}: ${v}…`);
      try {
        round[v] = (await runVariant(p, v, { shapeUplinkMbit: options.mbit })).first;
        options.log(`    ${(round[v].wallMs / 1000).toFixed(1)} s`);
      } catch (err) {
        ok = false;
        failures.push(`shaped round ${r + 1}: ${v} failed, the round is left out: ${errorLine(err)}`);
        options.log(`    failed: ${errorLine(err)}`);
        break;
      }
    }
    if (ok) rounds.push(round);
  }
  return { unshaped, shaped: { mbit: options.mbit, rounds }, failures };
}
