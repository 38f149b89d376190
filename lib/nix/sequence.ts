// Several remote commands in one (pure): each argv quoted once by the tested quoting function and run in turn by
// a fixed script, a marker line on stdout before each, stopping at the first that fails. The deployer splits the
// output back per command and learns which one failed and how. One ssh round trip instead of several.
import { quoteArgv } from '../ssh/quote.ts';

export const STEP_MARK = '@nix-hive-step';
export const FAIL_MARK = '@nix-hive-failed';

/** Runs "$@" (each a quoted command line) one after the other; exits with the first failure's code. */
const SEQUENCE = [
  'n=0',
  'for c in "$@"; do',
  '  n=$((n+1))',
  `  printf '\\n${STEP_MARK} %s\\n' "$n"`,
  '  eval "$c" || { s=$?; printf \'\\n' + FAIL_MARK + ' %s %s\\n\' "$n" "$s"; exit "$s"; }',
  'done',
].join('\n');

/** One remote command running `commands` in order (see the header). */
export function sequenceArgv(commands: ReadonlyArray<readonly string[]>): string[] {
  if (commands.length === 0) throw new TypeError('sequenceArgv: no commands');
  return ['sh', '-c', SEQUENCE, 'nix-hive-sequence', ...commands.map((c) => quoteArgv(c))];
}

export interface SequenceOutput {
  /** Stdout of each command that started, in order (without the markers). */
  outputs: string[];
  /** The command (0-based) that failed and its exit code, when one did. */
  failed?: { index: number; code: number };
}

/** Splits the sequence's stdout back per command. */
export function parseSequence(stdout: string): SequenceOutput {
  const outputs: string[] = [];
  let failed: SequenceOutput['failed'];
  let cur: string[] | undefined;
  for (const line of stdout.split('\n')) {
    const step = line.startsWith(`${STEP_MARK} `);
    const fail = line.startsWith(`${FAIL_MARK} `);
    if (step || fail) {
      if (cur) outputs.push(cur.join('\n').replace(/\n$/, ''));
      cur = step ? [] : undefined;
      if (fail) {
        const [, n, code] = line.split(' ');
        failed = { index: Number(n) - 1, code: Number(code) };
      }
      continue;
    }
    cur?.push(line);
  }
  if (cur) outputs.push(cur.join('\n').replace(/\n$/, ''));
  return { outputs, ...(failed ? { failed } : {}) };
}
