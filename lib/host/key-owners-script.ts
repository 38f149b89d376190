// The remote side of setting the owner of staged keys, pure: one fixed `sh -c` script (no user data in argv)
// that reads `<user> <group> <dest>` lines on stdin and gives each destination that is a regular file its
// owner, with one chown per distinct owner. It never reads or writes a key's content.
export function keyOwnersArgv(): string[] {
  return ['sh', '-c', SCRIPT, 'nix-hive-key-owners'];
}

const SCRIPT = `set -uf
nl='
'
n=0
owners=
while IFS=' ' read -r user group dest; do
  [ -n "$dest" ] || continue
  n=$((n + 1))
  eval "own_$n=\\$user:\\$group dest_$n=\\$dest st_$n="
  case "$nl$owners" in *"$nl$user:$group$nl"*) ;; *) owners=$owners$user:$group$nl ;; esac
done
IFS=$nl
status=0
for o in $owners; do
  files=; idx=
  i=0; while [ $i -lt $n ]; do i=$((i + 1))
    eval "k_own=\\$own_$i k_dest=\\$dest_$i"
    [ "$k_own" = "$o" ] || continue
    if [ -f "$k_dest" ] && [ ! -h "$k_dest" ]; then files=$files$k_dest$nl; idx=$idx$i$nl
    else eval "st_$i='failed: it is not there'"; fi
  done
  [ -n "$files" ] || continue
  if chown -- "$o" $files; then for i in $idx; do eval "st_$i=owned"; done
  else for i in $idx; do eval "st_$i=\\"failed: cannot give it owner \\$o\\""; done; fi
done
i=0; while [ $i -lt $n ]; do i=$((i + 1))
  eval "k_dest=\\$dest_$i k_st=\\$st_$i"
  case $k_st in
    owned) printf 'owned %s\\n' "$k_dest" ;;
    *) printf 'failed %s: %s\\n' "$k_dest" "\${k_st#failed: }"; status=1 ;;
  esac
done
exit "$status"`;

/** The script's stdin: one line per key. */
export function keyOwnersInput(keys: Array<{ user: string; group: string; dest: string }>): string {
  for (const k of keys)
    for (const v of [k.user, k.group, k.dest])
      if (v === '' || /[\s\x00-\x1f\x7f]/.test(v))
        throw new Error(`key owners: invalid field ${JSON.stringify(v)}`);
  return keys.map((k) => `${k.user} ${k.group} ${k.dest}\n`).join('');
}

/** `owned <dest>` / `failed <dest>: <why>` lines. */
export function parseOwnersOutput(stdout: string): Array<{ dest: string; owned: boolean; reason?: string }> {
  const out = [];
  for (const line of stdout.split('\n')) {
    const m = /^(owned|failed) (\S+?)(?:: (.*))?$/.exec(line);
    if (m) out.push({ dest: m[2]!, owned: m[1] === 'owned', ...(m[3] ? { reason: m[3] } : {}) });
  }
  return out;
}
