// Helpers for the keys fleet tests: a stub hive with `keys` (and a signing key) patched into the config
// writeStubHive writes, an ssh spy on PATH that logs every ssh invocation, and what a host says about a file.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet, FleetHost } from '../harness/fleet.ts';
import { run } from '../harness/proc.ts';
import { writeStubHive, type StubInstance } from './faults.ts';

export async function writeKeysHive(
  fleet: Fleet,
  dir: string,
  spec: {
    modules: Record<string, string>;
    instances: Record<string, StubInstance & { keys?: Record<string, unknown> }>;
    signingKey?: unknown;
    systemKeys?: Record<string, Record<string, unknown>>;
  },
): Promise<string> {
  await writeStubHive(fleet, dir, { modules: spec.modules, instances: spec.instances });
  const file = path.join(dir, 'hive.config.json');
  const config = JSON.parse(await readFile(file, 'utf8'));
  for (const [name, i] of Object.entries(spec.instances)) if (i.keys) config.instances[name].keys = i.keys;
  for (const [name, keys] of Object.entries(spec.systemKeys ?? {})) config.systems[name].keys = keys;
  if (spec.signingKey !== undefined) config.signingKey = spec.signingKey;
  await writeFile(file, JSON.stringify(config, null, 2) + '\n');
  return dir;
}

/** A PATH folder whose `ssh` logs its argv (`CALL ssh <args>`) and execs the real ssh. */
export async function sshSpy(dir: string): Promise<{ bin: string; calls(): Promise<string[]> }> {
  const bin = path.join(dir, 'spy-bin');
  const log = path.join(dir, 'ssh-calls.log');
  await mkdir(bin, { recursive: true });
  await writeFile(log, '');
  const real = (await run(['sh', '-c', 'command -v ssh'])).stdout.trim() || '/usr/bin/ssh';
  await writeFile(
    path.join(bin, 'ssh'),
    `#!/bin/sh\nprintf '%s\\n' "CALL ssh $*" >> '${log}'\nexec ${real} "$@"\n`,
  );
  await chmod(path.join(bin, 'ssh'), 0o755);
  return {
    bin,
    // One entry per call, multi-line arguments (a script) included.
    calls: async () =>
      ('\n' + (await readFile(log, 'utf8')))
        .split('\nCALL ')
        .filter((c) => c.startsWith('ssh '))
        .map((c) => c.trimEnd()),
  };
}

export interface FileFacts {
  owner: string;
  group: string;
  mode: string;
  size: number;
  inode: number;
  mtime: string;
}

/** `stat` run on the host itself (its own mount namespace), or undefined when the file is absent. */
export async function statOnHost(host: FleetHost, file: string): Promise<FileFacts | undefined> {
  const r = await host.exec(['stat', '-c', '%U %G %a %s %i %y', '--', file]);
  if (r.exitCode !== 0) return undefined;
  const [owner, group, mode, size, inode, ...mtime] = r.stdout.trim().split(' ');
  return {
    owner: owner!,
    group: group!,
    mode: mode!,
    size: Number(size),
    inode: Number(inode),
    mtime: mtime.join(' '),
  };
}

export async function readOnHost(host: FleetHost, file: string): Promise<string> {
  return (await host.exec(['cat', '--', file])).stdout;
}
