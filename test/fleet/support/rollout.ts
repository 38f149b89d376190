// Helpers of the rollout tests (test/fleet/rollout-*.test.ts): a stub hive whose systems carry health
// checks and rollout settings (and the usual one: an instance per host, every system checked), stub modules with the health/freeze/kernel knobs, and what a host runs.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from '../harness/fleet.ts';
import { stubModule, writeStubHive, type StubInstance } from './faults.ts';

export const HEALTH_CHECK = {
  name: 'health',
  cmd: ['grep', '-qx', 'ok', '/run/current-system/health'],
  timeout: 5,
  retries: 1,
  interval: 0.5,
};

/** A stub module: healthy or not, freezing sshd on switch, a kernel version, an activation delay. */
export function rolloutModule(
  o: { healthy?: boolean; freezeSshd?: boolean; kernel?: string; seed?: string; payload?: string } = {},
): string {
  const extra: string[] = [];
  if (o.healthy === false) extra.push('  hive.healthy = false;');
  if (o.freezeSshd) extra.push('  hive.freezeSshd = true;');
  if (o.kernel) extra.push(`  hive.kernel = "${o.kernel}";`);
  return stubModule({ seed: o.seed, payload: o.payload, extra: extra.join('\n') || undefined });
}

/** writeStubHive, then `extra` merged into the config (e.g. `systems.x.checks`, `defaults.confirmTimeout`). */
export async function writeRolloutHive(
  fleet: Fleet,
  dir: string,
  spec: { modules: Record<string, string>; instances: Record<string, StubInstance> },
  extra: { systems?: Record<string, Record<string, unknown>>; defaults?: Record<string, unknown> } = {},
): Promise<string> {
  await writeStubHive(fleet, dir, spec);
  const file = path.join(dir, 'hive.config.json');
  const config = JSON.parse(await readFile(file, 'utf8'));
  for (const [name, fields] of Object.entries(extra.systems ?? {}))
    Object.assign(config.systems[name], fields);
  Object.assign(config.defaults, extra.defaults ?? {});
  await writeFile(file, JSON.stringify(config, null, 2) + '\n');
  return dir;
}

/**
 * The rollout tests' usual hive, in `<fleet.dir>/<name>`: `instances` maps each instance to its system and runs
 * it on the fleet host of the same name; the `checked` systems (all of `modules` unless named) carry HEALTH_CHECK.
 */
export function writeCheckedHive(
  fleet: Fleet,
  name: string,
  o: {
    modules: Record<string, string>;
    instances: Record<string, string>;
    checked?: string[];
    defaults?: Record<string, unknown>;
  },
): Promise<string> {
  const checked = o.checked ?? Object.keys(o.modules);
  return writeRolloutHive(
    fleet,
    path.join(fleet.dir, name),
    {
      modules: o.modules,
      instances: Object.fromEntries(
        Object.entries(o.instances).map(([n, system]) => [n, { system, host: n }]),
      ),
    },
    {
      systems: Object.fromEntries(checked.map((s) => [s, { checks: [HEALTH_CHECK] }])),
      ...(o.defaults ? { defaults: o.defaults } : {}),
    },
  );
}

/** Command lines of the processes in a host's mount namespace that mention `word` (e.g. the watchdog). */
export async function hostProcesses(fleet: Fleet, host: string, word: string): Promise<string[]> {
  const ns = (await fleet.hosts[host]!.exec(['readlink', '/proc/self/ns/mnt'])).stdout.trim();
  const out: string[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readlinkSync(`/proc/${e}/ns/mnt`) !== ns) continue;
      const args = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ');
      if (args.includes(word)) out.push(`${e} ${args}`);
    } catch {
      // gone
    }
  }
  return out;
}
