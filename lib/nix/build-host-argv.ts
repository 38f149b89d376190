// Pure argv for building on a build host (the deployer evaluates, nix/eval-pool.ts): copy only the
// derivations there, realise them there with a GC root, sign there with the key streamed on stdin (never a
// file on the build host), and push from there through its run-only ssh_config.
import { NIX_FEATURES, type Argv } from './argv.ts';
import { buildHostDir } from '../ssh/build-host-access.ts';

/** Where the build host keeps each system alive between runs. */
export const BUILD_HOST_GCROOTS = '/nix/var/nix/gcroots/nix-hive';

/** Copies derivations (and their sources), not their outputs, to the build host. */
export function copyDerivationsArgv(storeUri: string, drvs: string[]): Argv {
  return { command: 'nix', args: [...NIX_FEATURES, 'copy', '--derivation', '--to', storeUri, ...drvs] };
}

/** Run on the build host: realise a derivation, keeping its output with a GC root there. */
export function realiseOnHostArgv(drv: string, system: string): string[] {
  return ['nix-store', '--realise', drv, '--add-root', `${BUILD_HOST_GCROOTS}/${system}`, '--indirect'];
}

export function gcrootDirArgv(): string[] {
  return ['mkdir', '-p', BUILD_HOST_GCROOTS];
}

/** Run on the build host: sign a closure with the key read from stdin (it never lands on its disk). */
export function signOnHostArgv(outPath: string): string[] {
  return ['nix', ...NIX_FEATURES, 'store', 'sign', '--key-file', '/dev/stdin', '--recursive', outPath];
}

/** Run on an instance behind a store: take a closure from its own substituters (its store host). */
export function substituteArgv(outPath: string): string[] {
  return ['nix-store', '--realise', outPath];
}

/** Run on the build host: push a closure to a destination of its run-only ssh_config, or to a store URI. */
export function pushFromHostArgv(
  runId: string,
  to: { alias: string } | { uri: string },
  outPath: string,
  substitute: boolean,
): string[] {
  const copy = ['nix', ...NIX_FEATURES, 'copy', '--to', 'alias' in to ? `ssh://${to.alias}` : to.uri];
  if (substitute) copy.push('--substitute-on-destination');
  copy.push(outPath);
  return 'alias' in to ? ['env', `NIX_SSHOPTS=-F ${buildHostDir(runId)}/ssh_config`, ...copy] : copy;
}
