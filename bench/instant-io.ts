// Section 5 only: a Spawner and a Transport that answer at once with plausible output, so a deploy() of
// thousands of synthetic instances measures nix-hive's own CPU (planning, the DAG runner, limits, events,
// the view) and nothing else. This is NOT a deploy test: no process runs and no host is reached.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Spawner } from '../lib/exec/spawn.ts';
import type { Transport } from '../lib/deploy/run/transport.ts';
import { STEP_MARK } from '../lib/nix/sequence.ts';
import { spawnResult } from '../test/helpers/nix-spy.ts';

const fakePath = (name: string) =>
  `/nix/store/${createHash('sha256').update(name).digest('hex').slice(0, 32)}-nixos-system-${name}`;

export function instantSpawner(publicKey: string): Spawner {
  return async (command, args, opts) => {
    if (command === 'nix' && args.includes('convert-secret-to-public'))
      return spawnResult(command, args, `${publicKey}\n`);
    if (command === 'nix-instantiate' && args.includes('--eval')) {
      // An evaluator worker of the pool: one trace line per system of its spec, as eval-worker.nix prints.
      const spec = JSON.parse(readFileSync(args[args.indexOf('specFile') + 1]!, 'utf8')) as {
        marker: string;
        order: string[];
        systems: Record<string, { name: string }>;
      };
      for (const attr of spec.order) {
        const out = fakePath(spec.systems[attr]!.name);
        opts?.onLine?.('stderr', `trace: ${spec.marker} ${attr} ${out}.drv ${out}`);
      }
      return spawnResult(command, args, `${spec.order.length}\n`);
    }
    if (command === 'nix-instantiate' && args.includes('--version'))
      return spawnResult(command, args, 'nix-instantiate (Nix) 2.8.0\n');
    if (command === 'nix-build') {
      // The realisation of the evaluated .drvs: their out paths, one a line.
      const drvs = args.filter((a) => a.endsWith('.drv'));
      return spawnResult(command, args, drvs.map((d) => d.slice(0, -'.drv'.length)).join('\n') + '\n');
    }
    if (command === 'nix-store' && args.includes('--deriver')) {
      const paths = args.filter((a) => a.startsWith('/nix/store/'));
      return spawnResult(command, args, paths.map((p) => `${p}.drv`).join('\n') + '\n');
    }
    return spawnResult(command, args);
  };
}

/** A transport whose hosts trust the key, hold the closure at their store, and activate successfully. */
export function instantTransport(publicKey: string): Transport {
  const answer = (cmd: string): string => {
    // The activation's wait command prints the exit status, then the output.
    if (cmd.includes('nix-hive-wait')) return '0\nactivating the configuration...';
    // The rollout's confirmation: the verdict that stands (the deployer's own claim).
    if (cmd.includes('nix-hive-verdict')) return 'confirmed';
    return '';
  };
  return {
    remote: async (_instance, argv) => {
      const cmd = argv.join(' ');
      // An activation's commands in one (nix/sequence.ts): each one's answer after its step marker.
      if (argv[3] === 'nix-hive-sequence') {
        const out = argv.slice(4).map((c, i) => `\n${STEP_MARK} ${i + 1}\n${answer(c)}`);
        return spawnResult(argv[0]!, argv, out.join('') + '\n');
      }
      if (cmd.includes('show-config') || cmd.includes('config show')) {
        const settings = {
          substituters: { value: ['ssh://store'] },
          'trusted-public-keys': { value: [publicKey] },
        };
        return spawnResult(argv[0]!, argv, JSON.stringify(settings));
      }
      // A first deploy: the host does not have the closure yet (so the preflight and the copy run).
      if (argv[0] === 'nix-store' && argv.includes('--check-validity'))
        return spawnResult(argv[0], argv, '', 1);
      const said = answer(cmd);
      return spawnResult(argv[0]!, argv, said ? `${said}\n` : '');
    },
    connect: async () => {},
    nixSshOpts: '',
    close: async () => {},
  };
}
