// The seed's fleet for end-to-end tests: portico (jump box and store, on both networks), www-1..3
// and storage on the internal network only, wired to substitute from portico and trust the example
// hive's key. Plus helpers to run the real CLI against it and to count real tool invocations.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFleet, type Fleet, type FleetHost } from '../harness/fleet.ts';
import { run, type RunResult } from '../harness/proc.ts';
import { addPorticoSubstituterKey } from './substituter-key.ts';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
export const EXAMPLE = path.join(REPO, 'example');
export const BIN = path.join(REPO, 'bin', 'nix-hive.mjs');

export interface SeedFleet {
  fleet: Fleet;
  /** Environment for the CLI: the fleet file for example/, the deployer's nix settings, the spy PATH. */
  env: Record<string, string>;
  /** Every nix/ssh invocation the CLI made (through the spy PATH), one line each. */
  calls(): Promise<string[]>;
  resetCalls(): Promise<void>;
}

export async function hivePublicKey(): Promise<string> {
  return (await readFile(path.join(EXAMPLE, 'keys', 'hive.pub'), 'utf8')).trim();
}

/** Rewrites a host's nix.conf (its /etc/nix is a folder of the deployer's, so this takes effect at once). */
export async function setNixConf(fleet: Fleet, host: string, lines: string[]): Promise<void> {
  const h = fleet.hosts[host]!;
  await writeFile(
    path.join(h.dir, 'etc-nix', 'nix.conf'),
    ['sandbox = false', 'connect-timeout = 5', ...lines, ''].join('\n'),
  );
}

export async function wireToPortico(fleet: Fleet, host: string): Promise<void> {
  await setNixConf(fleet, host, [
    `substituters = ssh://root@${fleet.hosts.portico!.internalAddress}`,
    `trusted-public-keys = ${await hivePublicKey()}`,
    'require-sigs = true',
  ]);
}

/** Makes `host` substitute from `store` (its internal address, over ssh), trusting `key` alone, signatures required. */
export function wireTo(host: FleetHost, store: FleetHost, key: string): Promise<void> {
  return host.writeNixConf(
    [
      `substituters = ssh://root@${store.internalAddress}`,
      `trusted-public-keys = ${key}`,
      'require-sigs = true',
    ].join('\n'),
  );
}

const SPIED = ['nix', 'nix-build', 'nix-store', 'nix-env', 'nix-instantiate', 'ssh', 'scp'];

/** A PATH folder whose nix/ssh entries log their argv and then exec the real tool: real runs, counted. */
async function spyPath(dir: string): Promise<{ bin: string; log: string }> {
  const bin = path.join(dir, 'spy-bin');
  const log = path.join(dir, 'spy.log');
  await mkdir(bin, { recursive: true });
  await writeFile(log, '');
  for (const tool of SPIED) {
    const real = (await run(['sh', '-c', `command -v ${tool}`])).stdout.trim() || `/usr/bin/${tool}`;
    const script = `#!/bin/sh\nprintf '%s\\n' "${tool} $*" >> '${log}'\nexec ${real} "$@"\n`;
    await writeFile(path.join(bin, tool), script);
    await chmod(path.join(bin, tool), 0o755);
  }
  return { bin, log };
}

export async function startSeedFleet(options: { wired?: string[] } = {}): Promise<SeedFleet> {
  const fleet = await startFleet({
    hosts: [
      { name: 'portico', network: 'both' },
      { name: 'www-1', network: 'internal' },
      { name: 'www-2', network: 'internal' },
      { name: 'www-3', network: 'internal' },
      { name: 'storage', network: 'internal' },
    ],
  });
  try {
    for (const h of options.wired ?? ['www-1', 'www-2', 'www-3', 'storage']) await wireToPortico(fleet, h);
    const fleetFile = path.join(fleet.dir, 'fleet.json');
    await fleet.writeInventoryJson(fleetFile);
    await addPorticoSubstituterKey(fleet, fleetFile, fleet.dir);
    const spy = await spyPath(fleet.dir);
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...fleet.nixEnv(),
      NIX_HIVE_FLEET: fleetFile,
      PATH: `${spy.bin}:${process.env.PATH}`,
      HOME: path.join(fleet.dir, 'home'),
    };
    await mkdir(env.HOME!, { recursive: true });
    return {
      fleet,
      env,
      calls: async () => (await readFile(spy.log, 'utf8')).split('\n').filter(Boolean),
      resetCalls: () => writeFile(spy.log, ''),
    };
  } catch (err) {
    await fleet.dispose();
    throw err;
  }
}

export interface CliRun extends RunResult {
  events: Array<Record<string, any>>;
}

/** Runs the real bin with `args`; with --json, parses the event lines of stdout. */
export async function cli(args: string[], env: Record<string, string>, timeoutMs = 240_000): Promise<CliRun> {
  const r = await run([process.execPath, BIN, ...args], { env, timeoutMs });
  const events = args.includes('--json')
    ? r.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, any>)
    : [];
  return { ...r, events };
}

export function reportOf(r: CliRun): Record<string, any> {
  const rep = r.events.find((e) => e.kind === 'report');
  if (!rep) throw new Error(`no report in output (exit ${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
  return rep.report;
}

/** Index of the first event matching, for order assertions. */
export function eventIndex(r: CliRun, kind: string, step: string): number {
  return r.events.findIndex((e) => e.kind === kind && e.step === step);
}

/** Where a host's /run/current-system and system profile point. */
export async function systemLinks(fleet: Fleet, host: string): Promise<{ current: string; profile: string }> {
  const h = fleet.hosts[host]!;
  const current = (await h.exec(['readlink', '-f', '/run/current-system'])).stdout.trim();
  const profile = (await h.exec(['readlink', '-f', '/nix/var/nix/profiles/system'])).stdout.trim();
  return { current, profile };
}

/** A private copy of example/ (config, modules, keys) that a test may edit. */
export async function copyExample(fleet: Fleet, name = 'hive'): Promise<string> {
  const dest = path.join(fleet.dir, name);
  await run(['cp', '-r', EXAMPLE, dest]);
  await run(['rm', '-rf', path.join(dest, '.hive'), path.join(dest, '.demo'), path.join(dest, 'hive.state')]);
  return dest;
}
