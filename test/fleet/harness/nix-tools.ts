// Helpers for fleet tests that use Nix and ssh from the deployer: build a stub system from a JSON module,
// run nix with the fleet's environment, run an argv on a host over ssh (quoted by lib/ssh/quote.ts).
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { quoteArgv } from '../../../lib/ssh/quote.ts';
import { STUB_NIXPKGS } from './inventory-json.ts';
import { must, run, type RunResult } from './proc.ts';

/** The parts of a Fleet these helpers need. */
export interface NixToolsFleet {
  dir: string;
  sshConfig: string;
  nixEnv(): Record<string, string>;
}

const STUB_SYSTEM = fileURLToPath(new URL('./stub-system.nix', import.meta.url));

/** The deployer's environment for nix: the fleet's nixEnv, and ssh through the fleet's ssh_config. */
export function deployerEnv(fleet: NixToolsFleet): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return { ...env, ...fleet.nixEnv(), NIX_SSHOPTS: `-F ${fleet.sshConfig}` };
}

/** Runs a nix command (argv) on the deployer with `deployerEnv`; never rejects on a non-zero exit. */
export function nixRun(fleet: NixToolsFleet, argv: string[], timeoutMs = 120_000): Promise<RunResult> {
  return run(argv, { env: deployerEnv(fleet), timeoutMs });
}

/**
 * Builds `config.system.build.toplevel` of the stub nixpkgs for one module given as JSON data, e.g.
 * `{ networking: { hostName: 'a' }, hive: { payloadSize: '2M' } }`, and returns its store path.
 */
export async function buildStubSystem(
  fleet: NixToolsFleet,
  module: Record<string, unknown>,
): Promise<string> {
  const json = JSON.stringify(module);
  const dir = `${fleet.dir}/modules`;
  await mkdir(dir, { recursive: true });
  const file = `${dir}/${createHash('sha256').update(json).digest('hex').slice(0, 16)}.json`;
  await writeFile(file, json);
  const r = await must(
    [
      'nix-build',
      '--no-out-link',
      '-I',
      `nixpkgs=${STUB_NIXPKGS}`,
      STUB_SYSTEM,
      '--argstr',
      'moduleFile',
      file,
    ],
    { env: deployerEnv(fleet), timeoutMs: 300_000 },
  );
  const out = r.stdout.trim().split('\n').pop() ?? '';
  if (!out.startsWith('/nix/store/')) throw new Error(`fleet: nix-build printed no store path: ${r.stdout}`);
  return out;
}

/** Runs argv on `host` (a name from the fleet's ssh_config) over ssh. */
export function sshRun(
  fleet: NixToolsFleet,
  host: string,
  argv: string[],
  options: { sshOptions?: string[]; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return run(['ssh', '-F', fleet.sshConfig, ...(options.sshOptions ?? []), host, '--', quoteArgv(argv)], {
    timeoutMs: options.timeoutMs ?? 60_000,
    input: options.input,
  });
}
