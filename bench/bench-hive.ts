// The benchmark's hive on the test fleet: one jump and store host (`portico`) and N internal `www-*`
// instances behind it, a www system whose closure is `payload` spread over several store paths (the stub
// nixpkgs' `hive.payloadSize`), and a signing key made with `nix-store --generate-binary-cache-key`.
// Modules and key are written once per bench run (same closures for every fleet); the config per fleet.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { STUB_NIXPKGS, type Fleet, type HostSpec } from '../test/fleet/harness/fleet.ts';
import { must } from '../test/fleet/harness/proc.ts';

export const JUMP = 'portico';

export interface HiveShape {
  /** Internal instances behind the jump host: www-1..www-N. */
  internal: number;
  /** The www closure's payload, e.g. "20M" (the stub's hive.payloadSize). */
  payload: string;
  /** Store paths the payload is spread over. */
  payloadPaths: number;
}

export interface BenchKeys {
  secretFile: string;
  publicKey: string;
}

/** The modules and signing key every fleet of this run shares. */
export interface BenchHiveFiles {
  dir: string;
  keys: BenchKeys;
  shape: HiveShape;
  modules: { portico: string; www: string };
}

export function wwwNames(shape: HiveShape): string[] {
  return Array.from({ length: shape.internal }, (_v, i) => `www-${i + 1}`);
}

export async function writeHiveFiles(dir: string, shape: HiveShape): Promise<BenchHiveFiles> {
  await mkdir(dir, { recursive: true });
  const secretFile = path.join(dir, 'hive.sec');
  const publicFile = path.join(dir, 'hive.pub');
  await must(['nix-store', '--generate-binary-cache-key', 'nix-hive-bench-1', secretFile, publicFile]);
  const publicKey = (await readFile(publicFile, 'utf8')).trim();
  const portico = path.join(dir, 'portico.nix');
  const www = path.join(dir, 'www.nix');
  await writeFile(
    portico,
    '# The bench jump host: a small system of its own.\n' +
      '{ ... }: { networking.hostName = "portico"; system.stateVersion = "24.11"; }\n',
  );
  await writeFile(
    www,
    '# The bench web servers: one system, a closure of the given size over several store paths.\n' +
      '{ ... }: {\n' +
      '  networking.hostName = "";\n' +
      `  hive.payloadSize = ${JSON.stringify(shape.payload)};\n` +
      `  hive.payloadPaths = ${shape.payloadPaths};\n` +
      '  hive.payloadSeed = "bench";\n' +
      '  system.stateVersion = "24.11";\n' +
      '}\n',
  );
  return { dir, keys: { secretFile, publicKey }, shape, modules: { portico, www } };
}

/** The fleet's hosts: the jump host on both networks, the www hosts internal, wired to substitute from it. */
export function fleetHosts(files: BenchHiveFiles): HostSpec[] {
  const wired = (h: Record<string, { internalAddress?: string }>) =>
    [
      `substituters = ssh://root@${h[JUMP]!.internalAddress}`,
      `trusted-public-keys = ${files.keys.publicKey}`,
      'require-sigs = true',
    ].join('\n');
  return [
    { name: JUMP, network: 'both' },
    ...wwwNames(files.shape).map((name): HostSpec => ({ name, network: 'internal', nixConf: wired })),
  ];
}

/**
 * Writes `<dir>/hive.config.json` for this fleet's addresses and keys; returns its path. Without a fleet
 * the addresses are placeholders (enough to build the systems).
 */
export async function writeHiveConfig(files: BenchHiveFiles, dir: string, fleet?: Fleet): Promise<string> {
  await mkdir(dir, { recursive: true });
  const names = [JUMP, ...wwwNames(files.shape)];
  const host = (name: string) => {
    const h = fleet?.hosts[name];
    return h
      ? { address: h.address, hostKeys: [h.hostKey] }
      : { address: `192.0.2.${names.indexOf(name) + 1}` };
  };
  const instances: Record<string, unknown> = { [JUMP]: { system: 'portico', ...host(JUMP) } };
  for (const n of wwwNames(files.shape)) instances[n] = { system: 'www', ...host(n), via: JUMP, store: JUMP };
  const config = {
    paths: { nixpkgs: STUB_NIXPKGS },
    signingKey: files.keys.secretFile,
    defaults: { user: 'root', ...(fleet ? { ssh: { IdentityFile: fleet.clientKey } } : {}) },
    systems: { portico: { modules: [files.modules.portico] }, www: { modules: [files.modules.www] } },
    instances,
  };
  const file = path.join(dir, 'hive.config.json');
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}
