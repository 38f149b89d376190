// Remote command of `nix-hive rollback` (pure argv; fixed script text): switch the system profile to an
// earlier generation (the one before the current, or `--to <n>`) and print its number and store path. The
// switch itself then runs detached like an activation (nix/detached.ts).
import { SYSTEM_PROFILE } from './argv.ts';

const SELECT = [
  'set -e',
  'profile=$1; to=$2',
  'cur=$(readlink "$profile" | sed -n "s/^.*-\\([0-9][0-9]*\\)-link$/\\1/p")',
  'if [ -z "$to" ]; then',
  '  base=$(basename "$profile")',
  '  to=$(ls -1 "$(dirname "$profile")" | sed -n "s/^$base-\\([0-9][0-9]*\\)-link$/\\1/p" | sort -n | awk -v c="${cur:-0}" \'$1 < c\' | tail -n 1)',
  '  [ -n "$to" ] || { echo "no generation before ${cur:-the current one}" >&2; exit 3; }',
  'fi',
  'path=$(readlink -e "$profile-$to-link") || { echo "generation $to does not exist" >&2; exit 3; }',
  'nix-env -p "$profile" --switch-generation "$to" >&2',
  'echo "$to"; echo "$path"',
].join('\n');

/** Switches the profile to generation `to` (or the one before the current); prints `<n>\n<path>`. */
export function selectGenerationArgv(to: number | undefined): string[] {
  return ['sh', '-c', SELECT, 'nix-hive-rollback', SYSTEM_PROFILE, to === undefined ? '' : String(to)];
}

export function parseSelected(stdout: string): { generation: number; path: string } | undefined {
  const [gen = '', path = ''] = stdout.trim().split('\n');
  return /^\d+$/.test(gen.trim()) && path.startsWith('/')
    ? { generation: Number(gen), path: path.trim() }
    : undefined;
}
