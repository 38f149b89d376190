// The remote side of a key upload, pure: one fixed `sh -c` script (no user data in argv) that reads every key
// of a host from stdin, and the stream it reads: a header line per key (checksum, mode, owner, destination),
// then one tar archive of the contents. The script does the per-key work with shell builtins, and runs a
// constant number of processes for all keys together (one stat, sha256sum, mkdir, tar, sha256sum, sync and
// rm; one chown per owner, one chmod per mode and one mv per destination folder): it makes an empty file per
// key in a 0700 staging folder beside the destination, gives it its final owner and mode before any byte,
// lets tar write the contents into those files, checks every checksum, fsyncs, and renames each into place.
// A key whose content, owner and mode already match is left alone (same inode and mtime). Needs sh,
// coreutils and GNU tar, all part of every NixOS system (nixos/modules/config/system-path.nix).
import { createHash, randomBytes } from 'node:crypto';
import { tarArchive, type ArchiveEntry } from './key-archive.ts';

export const KEY_STREAM_MAGIC = 'nix-hive-keys 2';

/** One key as it travels: where it goes, who owns it, and its bytes (never logged). */
export interface KeyFrame {
  dest: string;
  user: string;
  group: string;
  /** Octal (`0600` or `600`). */
  mode: string;
  content: Uint8Array;
}

export interface KeyStreamOptions {
  /**
   * A key whose owner or group does not exist (yet) is written `root:root` with its mode and reported
   * `staged` instead of failing: the activation that follows creates the user (deploy/keys/key-owners.ts).
   */
  stageMissingOwners?: boolean;
  /** The staging folders' suffix (hex); random unless a test fixes it. */
  token?: string;
}

// Stream: `nix-hive-keys 2 <token> [stage-missing-owners]`, per key `<sha256> <mode> <user> <group> <dest>`,
// then `tar` and the archive, whose member for a key is `<dir>/.nix-hive-keys.<token>/<base>` without the
// leading slash. The script keeps per key k: sum_k, mode_k, own_k, dest_k, dir_k, base_k and st_k (empty =
// to write, `unchanged`, `staged` = to write with owner root:root, `failed: <why>`, `written`). Its lists
// are newline-separated words (no field holds whitespace; IFS is a newline), and globbing is off.
const SCRIPT = `set -uf
umask 077
nl='
'
bad() { echo 'nix-hive: not a key stream' >&2; exit 3; }
IFS=' ' read -r magic version token opt || bad
[ "$magic $version" = '${KEY_STREAM_MAGIC}' ] || bad
case $token in ''|*[!0-9a-f]*) bad ;; esac
command -v tar >/dev/null || { echo 'nix-hive: the host has no tar (coreutils and GNU tar are needed)' >&2; exit 4; }
n=0
ended=0
while IFS=' ' read -r sum mode user group dest; do
  if [ "$sum" = tar ]; then ended=1; break; fi
  n=$((n + 1))
  dir=\${dest%/*}
  [ -n "$dir" ] || dir=/
  eval "sum_$n=\\$sum mode_$n=\\$mode own_$n=\\$user:\\$group dest_$n=\\$dest dir_$n=\\$dir base_$n=\\\${dest##*/} st_$n="
done
if [ "$ended" != 1 ]; then echo 'nix-hive: the key stream ended early' >&2; exit 1; fi
IFS=$nl
status=0
at() {
  eval "k_sum=\\$sum_$1 k_mode=\\$mode_$1 k_own=\\$own_$1 k_dest=\\$dest_$1 k_dir=\\$dir_$1 k_base=\\$base_$1 k_st=\\$st_$1"
  k_stage=\${k_dir%/}/.nix-hive-keys.$token
  k_tmp=$k_stage/$k_base
}
set_st() { eval "st_$1=\\$2"; }
fail() { set_st "$1" "failed: $2"; status=1; }
count() { c=0; for x in $1; do c=$((c + 1)); done; }
has() { case "$nl$1" in *"$nl$2$nl"*) return 0 ;; esac; return 1; }
# Destination folders: the missing ones, parents included, made 0750 with group keys where it exists (as
# NixOS makes /run/keys); existing ones are not touched.
dirs=
missing=
i=0; while [ $i -lt $n ]; do i=$((i + 1)); at $i
  has "$dirs" "$k_dir" && continue
  dirs=$dirs$k_dir$nl
  p=$k_dir
  while [ -n "$p" ] && [ ! -d "$p" ]; do has "$missing" "$p" || missing=$missing$p$nl; p=\${p%/*}; done
done
if [ -n "$missing" ]; then
  (umask 027 && mkdir -p -- $missing)
  made=
  for d in $missing; do [ -d "$d" ] && made=$made$d$nl; done
  if [ -n "$made" ]; then chgrp keys -- $made 2>/dev/null || :; chmod 0750 -- $made; fi
fi
# Unchanged keys: regular files whose owner, group, mode and checksum match (one stat, one sha256sum).
have=; haveidx=
i=0; while [ $i -lt $n ]; do i=$((i + 1)); at $i
  if [ ! -d "$k_dir" ]; then fail $i "cannot create a file in $k_dir"; continue; fi
  if [ -d "$k_dest" ] && [ ! -h "$k_dest" ]; then fail $i 'cannot move it into place (a folder is there)'; continue; fi
  if [ -f "$k_dest" ] && [ ! -h "$k_dest" ]; then have=$have$k_dest$nl; haveidx=$haveidx$i$nl; fi
done
same=; sameidx=
if [ -n "$have" ]; then
  stats=$(stat -c '%U:%G %a %n' -- $have 2>/dev/null) || :
  set -- $haveidx
  count "$stats"
  if [ $c -eq $# ]; then
    for line in $stats; do at $1; shift
      if [ "$line" = "$k_own $k_mode $k_dest" ]; then same=$same$k_dest$nl; sameidx=$sameidx$k_sum$nl; fi
    done
  fi
fi
unchanged=
if [ -n "$same" ]; then
  sums=$(sha256sum -- $same 2>/dev/null) || :
  set -- $sameidx
  count "$sums"
  if [ $c -eq $# ]; then
    for line in $sums; do
      line=\${line#\\\\}
      [ "\${line%% *}" = "$1" ] && unchanged=$unchanged\${line#*  }$nl
      shift
    done
  fi
fi
# A staging folder (0700) beside each destination, and in it an empty file per key to write.
stages=
i=0; while [ $i -lt $n ]; do i=$((i + 1)); at $i
  [ -z "$k_st" ] || continue
  if has "$unchanged" "$k_dest"; then set_st $i unchanged; continue; fi
  has "$stages" "$k_stage" || stages=$stages$k_stage$nl
done
[ -z "$stages" ] || mkdir -m 0700 -- $stages 2>/dev/null || :
owners=; modes=
set -C
i=0; while [ $i -lt $n ]; do i=$((i + 1)); at $i
  [ -z "$k_st" ] || continue
  if [ ! -d "$k_stage" ] || [ -h "$k_stage" ] || ! printf '' 2>/dev/null >"$k_tmp"; then
    fail $i "cannot create a file in $k_dir"; continue
  fi
  has "$owners" "$k_own" || owners=$owners$k_own$nl
  has "$modes" "$k_mode" || modes=$modes$k_mode$nl
done
set +C
# Owner, then mode, of every file before any byte: one chown per owner, one chmod per mode.
files_of() {
  files=; fidx=
  i=0; while [ $i -lt $n ]; do i=$((i + 1)); at $i
    case $k_st in ''|staged) ;; *) continue ;; esac
    eval "[ \\"\\$k_$1\\" = \\"\\$2\\" ]" && files=$files$k_tmp$nl && fidx=$fidx$i$nl
  done
}
for o in $owners; do
  files_of own "$o"
  [ -n "$files" ] || continue
  chown -- "$o" $files 2>/dev/null && continue
  if [ "$opt" = stage-missing-owners ] && chown -- 0:0 $files; then
    for i in $fidx; do set_st $i staged; done
  else
    for i in $fidx; do at $i; fail $i "cannot give it owner $k_own and mode $k_mode"; done
  fi
done
for m in $modes; do
  files_of mode "$m"
  [ -n "$files" ] || continue
  chmod -- "$m" $files && continue
  for i in $fidx; do at $i; fail $i "cannot give it owner $k_own and mode $k_mode"; done
done
# The contents: one tar writes into the files made above (--overwrite keeps their inode, owner and mode).
want=; wantidx=
i=0; while [ $i -lt $n ]; do i=$((i + 1)); at $i
  case $k_st in ''|staged) want=$want\${k_tmp#/}$nl; wantidx=$wantidx$i$nl ;; esac
done
if [ -n "$want" ]; then
  tar -x --overwrite --no-same-owner -p -m -C / --no-wildcards -f - -- $want
else
  cat >/dev/null
fi
# Every checksum (one sha256sum), fsync (one sync), then one rename batch per folder.
ok=; okidx=
if [ -n "$want" ]; then
  tmps=
  for i in $wantidx; do at $i; tmps=$tmps$k_tmp$nl; done
  sums=$(sha256sum -- $tmps 2>/dev/null) || :
  set -- $wantidx
  count "$sums"
  [ $c -eq $# ] || sums=
  for i in $wantidx; do at $i
    line=\${sums%%$nl*}
    sums=\${sums#"$line"}; sums=\${sums#$nl}
    line=\${line#\\\\}
    if [ -n "$line" ] && [ "\${line%% *}" = "$k_sum" ]; then ok=$ok$k_tmp$nl; okidx=$okidx$i$nl
    else fail $i 'its content arrived incomplete'; fi
  done
fi
if [ -n "$ok" ] && ! sync -- $ok; then
  for i in $okidx; do fail $i 'cannot sync it to disk'; done
  ok=
fi
if [ -n "$ok" ]; then
  for d in $dirs; do
    files=
    for i in $okidx; do at $i; [ "$k_dir" = "$d" ] && files=$files$k_tmp$nl; done
    [ -z "$files" ] || mv -f -t "$d" -- $files || :
  done
  for i in $okidx; do at $i
    if [ -e "$k_tmp" ] || [ -h "$k_tmp" ]; then fail $i 'cannot move it into place'
    elif [ -z "$k_st" ]; then set_st $i written; fi
  done
fi
# Whatever is left in the staging folders is removed, then the folders.
left=
i=0; while [ $i -lt $n ]; do i=$((i + 1)); at $i
  has "$stages" "$k_stage" && { [ -e "$k_tmp" ] || [ -h "$k_tmp" ]; } && left=$left$k_tmp$nl
done
[ -z "$left" ] || rm -f -- $left
[ -z "$stages" ] || rmdir -- $stages 2>/dev/null || :
i=0; while [ $i -lt $n ]; do i=$((i + 1)); at $i
  case $k_st in
    written|unchanged|staged) printf '%s %s\\n' "$k_st" "$k_dest" ;;
    *) printf 'failed %s: %s\\n' "$k_dest" "\${k_st#failed: }"; status=1 ;;
  esac
done
exit "$status"`;

/** The remote argv (fixed: every key's data travels on stdin). */
export function uploadKeysArgv(): string[] {
  return ['sh', '-c', SCRIPT, 'nix-hive-keys'];
}

/** `0600` → `600`, as `stat -c %a` prints it. */
export function statMode(mode: string): string {
  return parseInt(mode, 8).toString(8);
}

/** The stdin of `uploadKeysArgv()`: every key of one host, framed. Lives in memory only. */
export function keyStream(keys: KeyFrame[], options: KeyStreamOptions = {}): Buffer {
  const token = options.token ?? randomBytes(6).toString('hex');
  if (!/^[0-9a-f]+$/.test(token)) throw new Error(`key stream: invalid token ${JSON.stringify(token)}`);
  const lines = [`${KEY_STREAM_MAGIC} ${token}${options.stageMissingOwners ? ' stage-missing-owners' : ''}`];
  const entries: ArchiveEntry[] = [];
  for (const k of keys) {
    for (const [what, v] of [
      ['dest', k.dest],
      ['user', k.user],
      ['group', k.group],
    ] as const)
      if (v === '' || /[\s\x00-\x1f\x7f]/.test(v) || (what !== 'dest' && v.includes(':')))
        throw new Error(`key stream: invalid ${what} ${JSON.stringify(v)}`);
    if (!k.dest.startsWith('/') || k.dest.endsWith('/'))
      throw new Error(`key stream: invalid dest ${JSON.stringify(k.dest)}`);
    if (!/^0?[0-7]{3}$/.test(k.mode)) throw new Error(`key stream: invalid mode ${JSON.stringify(k.mode)}`);
    const sum = createHash('sha256').update(k.content).digest('hex');
    const mode = statMode(k.mode);
    lines.push(`${sum} ${mode} ${k.user} ${k.group} ${k.dest}`);
    const cut = k.dest.lastIndexOf('/');
    const dir = k.dest.slice(1, cut);
    entries.push({
      name: `${dir}${dir ? '/' : ''}.nix-hive-keys.${token}/${k.dest.slice(cut + 1)}`,
      mode,
      content: k.content,
    });
  }
  lines.push('tar');
  return Buffer.concat([Buffer.from(lines.join('\n') + '\n'), tarArchive(entries)]);
}

export interface KeyOutcome {
  dest: string;
  state: 'written' | 'unchanged' | 'staged' | 'failed';
  reason?: string;
}

/** The script's report, one line per key: `written|unchanged|staged <dest>`, `failed <dest>: <why>`. */
export function parseUploadOutput(stdout: string): KeyOutcome[] {
  const out: KeyOutcome[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(written|unchanged|staged|failed) (\S+?)(?:: (.*))?$/.exec(line);
    if (!m) continue;
    out.push({ dest: m[2]!, state: m[1] as KeyOutcome['state'], ...(m[3] ? { reason: m[3] } : {}) });
  }
  return out;
}
