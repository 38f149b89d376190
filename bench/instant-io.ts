// Section 5 only: a Spawner and a Transport that answer at once with plausible output, so a deploy() of
// thousands of synthetic instances measures nix-hive's own CPU (planning, the DAG runner, limits, events,
// the view) and nothing else. This is NOT a deploy test: no process runs and no host is reached.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Spawner, SpawnResult } from '../lib/exec/spawn.ts';
import type { Transport } from '../lib/deploy/run/transport.ts';

function result(command: string, args: readonly string[], stdout = '', exitCode = 0): SpawnResult {
  return {
    command,
    args: [...args],
    exitCode,
    signal: undefined,
    timedOut: false,
    stdout,
    stderr: '',
    durationMs: 0,
  };
}

const fakePath = (name: string) =>
  `/nix/store/${createHash('sha256').update(name).digest('hex').slice(0, 32)}-nixos-system-${name}`;

export function instantSpawner(publicKey: string): Spawner {
  return async (command, args) => {
    if (command === 'nix' && args.includes('convert-secret-to-public'))
      return result(command, args, `${publicKey}\n`);
    if (command === 'nix-build') {
      // Print one out path per built system, in the order of the spec file the build wrote.
      const spec = JSON.parse(readFileSync(args[args.indexOf('specFile') + 1]!, 'utf8')) as {
        systems: Record<string, { name: string }>;
      };
      const attrs = args.filter((_a, i) => args[i - 1] === '-A');
      return result(command, args, attrs.map((a) => fakePath(spec.systems[a]!.name)).join('\n') + '\n');
    }
    if (command === 'nix-store' && args.includes('--deriver')) {
      const paths = args.filter((a) => a.startsWith('/nix/store/'));
      return result(command, args, paths.map((p) => `${p}.drv`).join('\n') + '\n');
    }
    return result(command, args);
  };
}

/** A transport whose hosts trust the key, hold the closure at their store, and activate successfully. */
export function instantTransport(publicKey: string): Transport {
  return {
    remote: async (_instance, argv) => {
      const cmd = argv.join(' ');
      if (cmd.includes('show-config') || cmd.includes('config show')) {
        const settings = {
          substituters: { value: ['ssh://store'] },
          'trusted-public-keys': { value: [publicKey] },
        };
        return result(argv[0]!, argv, JSON.stringify(settings));
      }
      // A first deploy: the host does not have the closure yet (so the preflight and the copy run).
      if (argv[0] === 'nix-store' && argv.includes('--check-validity')) return result(argv[0], argv, '', 1);
      // The activation's wait command prints the exit status, then the output.
      // The rollout's confirmation: the verdict that stands (the deployer's own claim).
      if (argv.includes('nix-hive-verdict')) return result(argv[0]!, argv, 'confirmed\n');
      if (argv.includes('nix-hive-wait'))
        return result(argv[0]!, argv, '0\nactivating the configuration...\n');
      return result(argv[0]!, argv);
    },
    connect: async () => {},
    nixSshOpts: '',
    close: async () => {},
  };
}
