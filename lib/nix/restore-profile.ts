// Remote command that sets the system profile back to the generation it had before an activation set it
// (the start script kept it in <id>.profile-was), for a switch that never ran because another held its lock.
// Fixed script text; the id and paths travel as positional arguments.
import { SYSTEM_PROFILE } from './argv.ts';
import { ACTIVATION_DIR } from './detached.ts';

const RESTORE = [
  'd=$1; id=$2; profile=$3; f="$d/$id.profile-was"',
  '[ -r "$f" ] || exit 0',
  'gen=$(sed -n "s/^.*-\\([0-9][0-9]*\\)-link$/\\1/p" "$f")',
  '[ -n "$gen" ] || exit 0',
  'nix-env -p "$profile" --switch-generation "$gen" >&2 && rm -f "$f"',
].join('\n');

export function restoreProfileArgv(id: string, dir = ACTIVATION_DIR): string[] {
  if (!/^[A-Za-z0-9._-]+$/.test(id)) throw new Error(`unsafe activation id ${JSON.stringify(id)}`);
  return ['sh', '-c', RESTORE, 'nix-hive-restore-profile', dir, id, SYSTEM_PROFILE];
}
