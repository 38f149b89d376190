// `diff`: asks every instance what it runs (and what it booted), groups the instances by (running → new)
// pair, then per pair reads the running closure on ONE instance of the pair (its store, not copied here), the
// new closure where it was built, and runs `dry-activate` there when the new system is already in its store.
// Each distinct pair is read once, however many instances share it. Reads are injected: lib/diff never spawns.
import { Semaphore } from '../deploy/run/semaphore.ts';
import { SshError } from '../errors.ts';
import type { SpawnResult } from '../exec/spawn.ts';
import { diffBlock, type PairReading } from './block.ts';
import { groupPairs, type Pair } from './group.ts';
import { summaryLine } from './summary.ts';
import type { BootPart, DiffBlock, FleetDiff, InstanceReading, SizedPath } from './types.ts';
import {
  bootPartsArgv,
  closureArgv,
  instanceReadingArgv,
  parseBootParts,
  parseClosure,
  parseInstanceReading,
} from '../nix/diff-argv.ts';

export type Runner = (
  argv: string[],
  o?: { root?: boolean; input?: string; timeoutMs?: number },
) => Promise<SpawnResult>;

export interface DiffOptions {
  /** The selected instances and their hive systems. */
  targets: Array<{ instance: string; system: string }>;
  /** The new system's store path of each hive system (absent: not built). */
  built: Record<string, string | undefined>;
  /** Runs an argv on an instance; rejects with SshError when the instance does not answer. */
  remote: (instance: string) => Runner;
  /** Runs an argv where the new systems were built (here). */
  local: Runner;
  parallel: number;
  /** Run `switch-to-configuration dry-activate` on one instance per pair (default true). */
  activationDiff?: boolean;
  timeoutMs?: number;
  /** Readings already known (the bench; a caller that read them earlier): no instance is asked again. */
  readings?: InstanceReading[];
  /**
   * The machine an instance runs on (instances that share one give the same key; default: the instance).
   * `dry-activate` runs one at a time per machine: switch-to-configuration takes its lock without waiting
   * (switch-to-configuration-ng main.rs), so a second one there would fail `Could not acquire lock`.
   */
  machineOf?: (instance: string) => string;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

function failed(r: SpawnResult, what: string): Error {
  const tail = r.stderr.trim().split('\n').at(-1) ?? '';
  return new Error(`${what} exited with code ${r.exitCode}${tail ? `: ${tail}` : ''}`);
}

export async function fleetDiff(o: DiffOptions): Promise<FleetDiff> {
  const sem = new Semaphore(o.parallel);
  const unreachable: FleetDiff['unreachable'] = [];
  const unreadable: FleetDiff['unreadable'] = [];
  const unbuilt: FleetDiff['unbuilt'] = [];

  const readings: InstanceReading[] = [];
  for (const t of o.targets)
    if (!o.built[t.system]) unbuilt.push({ instance: t.instance, reason: `system ${t.system} has no build` });
  const wanted = o.targets.filter((t) => o.built[t.system]);
  if (o.readings) readings.push(...o.readings.filter((r) => o.built[r.system]));
  else {
    const got = await Promise.all(wanted.map((t) => sem.with(() => readInstance(o, t.instance, t.system))));
    for (const g of got) {
      if ('reading' in g) readings.push(g.reading);
      else if (g.unreachable) unreachable.push({ instance: g.instance, reason: g.reason });
      else unreadable.push({ instance: g.instance, reason: g.reason });
    }
  }

  const pairs = groupPairs(readings, (s) => o.built[s]!);
  const targetClosures = new Map<string, Promise<{ closure: SizedPath[]; boot: Record<BootPart, string> }>>();
  const target = (to: string) => {
    let p = targetClosures.get(to);
    if (!p) targetClosures.set(to, (p = readTarget(o.local, to)));
    return p;
  };
  // One dry-activate at a time per machine: a semaphore of one slot each.
  const machines = new Map<string, Semaphore>();
  const onMachine = <T>(instance: string, fn: () => Promise<T>): Promise<T> => {
    const key = o.machineOf?.(instance) ?? instance;
    let m = machines.get(key);
    if (!m) machines.set(key, (m = new Semaphore(1)));
    return m.with(fn);
  };
  const blocks: DiffBlock[] = await Promise.all(
    pairs.map((pair) => sem.with(async () => diffBlock(pair, await readPair(o, pair, target, onMachine)))),
  );
  const partial = { blocks, unreachable, unreadable, unbuilt };
  return { format: 'nix-hive/diff@1', ...partial, summary: summaryLine(partial) };
}

type ReadOutcome = { reading: InstanceReading } | { instance: string; unreachable: boolean; reason: string };

async function readInstance(o: DiffOptions, instance: string, system: string): Promise<ReadOutcome> {
  try {
    const r = await o.remote(instance)(instanceReadingArgv(), { timeoutMs: o.timeoutMs });
    if (r.exitCode !== 0)
      return { instance, unreachable: false, reason: failed(r, 'reading the running system').message };
    const { running, booted } = parseInstanceReading(r.stdout);
    if (running === null) return { instance, unreachable: false, reason: 'no /run/current-system' };
    return { reading: { instance, system, running, booted } };
  } catch (e) {
    return { instance, unreachable: e instanceof SshError, reason: message(e) };
  }
}

async function readTarget(local: Runner, to: string) {
  const [c, b] = await Promise.all([local(closureArgv(to), { input: '' }), local(bootPartsArgv(to))]);
  if (c.exitCode !== 0) throw failed(c, `reading the closure of ${to} here`);
  return { closure: parseClosure(c.stdout).closure, boot: parseBootParts(b.stdout) };
}

async function readPair(
  o: DiffOptions,
  pair: Pair,
  target: (to: string) => Promise<{ closure: SizedPath[]; boot: Record<BootPart, string> }>,
  onMachine: <T>(instance: string, fn: () => Promise<T>) => Promise<T>,
): Promise<PairReading> {
  const on = pair.members[0]!.instance;
  const read: PairReading = { on };
  let after: SizedPath[];
  try {
    const t = await target(pair.to);
    after = t.closure;
    read.targetBoot = t.boot;
  } catch (e) {
    return { ...read, error: message(e) };
  }
  if (pair.from === pair.to) return read;
  read.after = after;
  const run = o.remote(on);
  try {
    const r = await run(closureArgv(pair.from), {
      input: after.map((p) => p.path).join('\n') + '\n',
      timeoutMs: o.timeoutMs,
    });
    if (r.exitCode !== 0) throw failed(r, `reading the closure of the running system on ${on}`);
    const { closure, missing } = parseClosure(r.stdout);
    read.before = closure;
    read.missing = missing;
  } catch (e) {
    return { ...read, error: message(e) };
  }
  if (o.activationDiff === false) return read;
  if (read.missing!.length > 0) {
    read.dryActivate = {
      unknown: `the new system is not in ${on}'s store yet; deploy --diff shows them after the copy`,
    };
    return read;
  }
  try {
    const r = await onMachine(on, () =>
      run([`${pair.to}/bin/switch-to-configuration`, 'dry-activate'], { root: true, timeoutMs: o.timeoutMs }),
    );
    read.dryActivate =
      r.exitCode === 0
        ? { output: `${r.stdout}\n${r.stderr}` }
        : { unknown: failed(r, `dry-activate on ${on}`).message };
  } catch (e) {
    read.dryActivate = { unknown: message(e) };
  }
  return read;
}
