// The seed's own hive format (nix-hive 0.1: a `hive.nix` or a folder's `default.nix`), read as it is.
// Its facts come from `nix-instantiate --eval --json --strict` of seed-facts.nix, which never forces a
// system's `configuration`; they become an ordinary HiveConfig checked like any other. The build later
// imports the same file and takes `systems.<name>.configuration` as the NixOS module.
// Mapping: `ssh.Hostname`/`ProxyJump`/`User`/`Port` → address/via/user/port (other `ssh` options pass
// through), an instance without `Hostname` is reached by its name, `store = "ssh://<instance>"` → that
// instance as its store, `""` → none.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, type Problem } from '../../errors.ts';
import { spawnProcess, type Spawner } from '../../exec/spawn.ts';
import { displayPath } from '../validate/field-path.ts';
import { isDict, type Dict } from '../validate/guards.ts';

export const SEED_FACTS = fileURLToPath(new URL('./seed-facts.nix', import.meta.url));

/** Is this config file in the seed's Nix format? */
export function isSeedFile(file: string): boolean {
  return path.extname(file) === '.nix';
}

export interface SeedFacts {
  paths: Record<string, string>;
  signingKey: string | null;
  systems: Record<
    string,
    { paths: Record<string, string>; system: string | null; hasConfiguration: boolean }
  >;
  instances: Record<
    string,
    { system: string; store: string; tags: string[]; hostKeys: string[]; ssh: Record<string, unknown> }
  >;
}

export function seedFactsArgv(file: string): { command: string; args: string[] } {
  return {
    command: 'nix-instantiate',
    args: ['--eval', '--json', '--strict', SEED_FACTS, '--argstr', 'file', file],
  };
}

/** Evaluates the facts; a Nix error is bad input naming the field (when Nix's message names it) and the file. */
export async function readSeedFacts(file: string, spawn: Spawner = spawnProcess): Promise<SeedFacts> {
  const argv = seedFactsArgv(file);
  const r = await spawn(argv.command, argv.args, {});
  if (r.exitCode !== 0) throw new InputError([nixProblem(file, r.stderr)]);
  return JSON.parse(r.stdout) as SeedFacts;
}

/** Nix's own message, one line: `instances.www-9.system: system wwww not found … (in hive.nix)`. */
export function nixProblem(file: string, stderr: string): Problem {
  const lines = stderr.split('\n').map((l) => l.trim());
  const errors = lines.filter((l) => l.startsWith('error:')).map((l) => l.slice('error:'.length).trim());
  const message = errors.filter(Boolean).pop() ?? lines.filter(Boolean).pop() ?? 'nix-instantiate failed';
  const at = lines.find((l) => /^at .+:\d+:\d+:?$/.test(l))?.replace(/:$/, '');
  const shown = displayPath(file);
  const field = /^((?:paths|systems|instances)\.[^\s:]+): (.*)$/.exec(message);
  const where = at ? `${at.replace(file, shown)}` : `in ${shown}`;
  if (field) return { path: field[1]!, message: `${field[2]} (Nix, ${where})` };
  return { path: shown, message: `${message} (Nix, ${where})` };
}

/** The facts as a HiveConfig (checked afterwards by the ordinary layers). */
export function seedToConfig(facts: SeedFacts): Dict {
  const systems: Dict = {};
  for (const [name, s] of Object.entries(facts.systems)) {
    systems[name] = {
      ...(Object.keys(s.paths).length > 0 ? { paths: s.paths } : {}),
      ...(s.system !== null ? { system: s.system } : {}),
    };
  }
  const names = new Set(Object.keys(facts.instances));
  const instances: Dict = {};
  for (const [name, i] of Object.entries(facts.instances)) {
    const inst: Dict = { system: i.system, address: name };
    const ssh: Dict = {};
    for (const [key, value] of Object.entries(isDict(i.ssh) ? i.ssh : {})) {
      const k = key.toLowerCase();
      if (k === 'hostname') inst.address = value;
      else if (k === 'proxyjump') inst.via = value;
      else if (k === 'user') inst.user = value;
      else if (k === 'port')
        inst.port = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
      else ssh[key] = value;
    }
    if (Object.keys(ssh).length > 0) inst.ssh = ssh;
    const store = storeOf(i.store, names);
    if (store !== undefined) inst.store = store;
    if (i.tags.length > 0) inst.tags = i.tags;
    if (i.hostKeys.length > 0) inst.hostKeys = i.hostKeys;
    instances[name] = inst;
  }
  return {
    ...(Object.keys(facts.paths).length > 0 ? { paths: facts.paths } : {}),
    ...(facts.signingKey !== null ? { signingKey: facts.signingKey } : {}),
    systems,
    instances,
  };
}

/** `ssh://portico` (or ssh-ng://) naming an instance is that instance as a store; other URIs stay. */
function storeOf(store: string, instances: Set<string>): string | undefined {
  if (store === '') return undefined;
  const m = /^(?:ssh|ssh-ng):\/\/([^/?@]+)$/.exec(store);
  if (m && instances.has(m[1]!)) return m[1]!;
  return store;
}
