// A spy in place of Nix for the evaluation tests (lib/exec/spawn.ts is injectable): it answers as Nix would
// a version, an evaluator worker's trace lines (a new .drv for each evaluation), `--check-validity`, and
// records every call; anything else succeeds with no output.
import { readFile } from 'node:fs/promises';
import type { SpawnOptions, SpawnResult } from '../../lib/exec/spawn.ts';

export interface NixSpy {
  spawn: (command: string, args: readonly string[], o?: SpawnOptions) => Promise<SpawnResult>;
  calls: string[][];
  version: string;
  /** Store paths `--check-validity --print-invalid` reports as gone. */
  invalid: Set<string>;
  /** Every line the code under test logged through the spy's `log`. */
  lines: string[];
  log: (stream: 'stdout' | 'stderr', line: string) => void;
  /** The evaluator processes (`nix-instantiate --eval …`) among `calls` since index `from`. */
  evaluators: (from?: number) => number;
}

export function spawnResult(
  command: string,
  args: readonly string[],
  stdout = '',
  exitCode = 0,
  stderr = '',
): SpawnResult {
  return {
    command,
    args: [...args],
    exitCode,
    signal: undefined,
    timedOut: false,
    stdout,
    stderr,
    durationMs: 1,
  };
}

export function nixSpy(): NixSpy {
  let n = 0;
  const spy: NixSpy = {
    calls: [],
    version: 'nix-instantiate (Nix) 2.8.0',
    invalid: new Set(),
    lines: [],
    log: (_stream, line) => void spy.lines.push(line),
    evaluators: (from = 0) => spy.calls.slice(from).filter((c) => c.includes('--eval')).length,
    spawn: async (command, args, o = {}) => {
      spy.calls.push([command, ...args]);
      const result = (stdout = '') => spawnResult(command, args, stdout);
      if (command === 'nix-instantiate' && args[0] === '--version') return result(spy.version + '\n');
      if (command === 'nix-instantiate' && args[0] === '--eval') {
        const spec = JSON.parse(await readFile(args[args.indexOf('specFile') + 1]!, 'utf8')) as {
          marker: string;
          order: string[];
        };
        for (const attr of spec.order) {
          const h = String(++n).padStart(32, '0');
          o.onLine?.('stderr', `trace: ${spec.marker} ${attr} /nix/store/${h}-s.drv /nix/store/${h}-s`);
        }
        return result(`${spec.order.length}\n`);
      }
      if (command === 'nix-store' && args[0] === '--check-validity')
        return result(args.filter((a) => spy.invalid.has(a)).join('\n'));
      return result();
    },
  };
  return spy;
}
