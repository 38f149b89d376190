// The relay pull (pure argv, run on the child): `nix copy --from` its parent into its own store, through
// the child's private ssh_config for this run, with signatures required on every path.
import { compressedStoreUri, NIX_FEATURES } from './argv.ts';
import { RELAY_ALIAS, relayDir } from '../ssh/relay-access.ts';

/** `compress`: an internal leg, compressed only when a `compress: true` governs it (see deploy/copy/compress.ts). */
export function relayPullArgv(runId: string, outPath: string, compress = false): string[] {
  return [
    'env',
    `NIX_SSHOPTS=-F ${relayDir(runId)}/ssh_config`,
    'nix',
    ...NIX_FEATURES,
    'copy',
    '--from',
    compress ? compressedStoreUri(`ssh://${RELAY_ALIAS}`) : `ssh://${RELAY_ALIAS}`,
    '--option',
    'require-sigs',
    'true',
    outPath,
  ];
}
