// The relay pull (pure argv, run on the child): `nix copy --from` its parent into its own store, through
// the child's private ssh_config for this run, with signatures required on every path.
import { NIX_FEATURES } from './argv.ts';
import { RELAY_ALIAS, relayDir } from '../ssh/relay-access.ts';

export function relayPullArgv(runId: string, outPath: string): string[] {
  return [
    'env',
    `NIX_SSHOPTS=-F ${relayDir(runId)}/ssh_config`,
    'nix',
    ...NIX_FEATURES,
    'copy',
    '--from',
    `ssh://${RELAY_ALIAS}`,
    '--option',
    'require-sigs',
    'true',
    outPath,
  ];
}
