// The remote side of a key upload, pure: one fixed `sh -c` script (no user data in argv) that reads every key
// of a host from stdin as a framed stream, and the stream's framing. Per key the script creates a temp file
// beside the destination, gives it its final owner and mode before any byte is written, writes, checks the
// checksum, fsyncs and renames it into place; a key whose content, owner and mode already match is left
// alone (same inode and mtime). Needs only sh and coreutils on the host.
import { createHash } from 'node:crypto';

export const KEY_STREAM_MAGIC = 'nix-hive-keys 1';

/** One key as it travels: where it goes, who owns it, and its bytes (never logged). */
export interface KeyFrame {
  dest: string;
  user: string;
  group: string;
  /** Octal (`0600` or `600`). */
  mode: string;
  content: Uint8Array;
}

// Frames: a magic line, then per key `<length> <sha256> <mode> <user> <group> <dest>\n` and exactly
// <length> bytes, then `end\n`. `read` takes the header line byte by byte and `head -c` exactly the content,
// so nothing is read ahead. Directories that do not exist are made 0750 (group `keys` where it exists).
const SCRIPT = `set -u
umask 077
IFS= read -r magic || magic=
if [ "$magic" != '${KEY_STREAM_MAGIC}' ]; then echo 'nix-hive: not a key stream' >&2; exit 3; fi
status=0
ended=0
skip() { head -c "$1" >/dev/null; }
while IFS=' ' read -r len sum mode user group dest; do
  if [ "$len" = end ]; then ended=1; break; fi
  dir=\${dest%/*}
  [ -n "$dir" ] || dir=/
  base=\${dest##*/}
  if [ ! -d "$dir" ]; then
    (umask 027 && mkdir -p -- "$dir") && { chgrp keys -- "$dir" 2>/dev/null || :; } && chmod 0750 -- "$dir"
  fi
  if [ -f "$dest" ] && [ ! -h "$dest" ] &&
    [ "$(stat -c '%U %G %a' -- "$dest" 2>/dev/null)" = "$user $group $mode" ] &&
    [ "$(sha256sum <"$dest" | cut -d ' ' -f 1)" = "$sum" ]; then
    skip "$len"
    echo "unchanged $dest"
    continue
  fi
  if ! tmp=$(mktemp -- "$dir/.$base.nix-hive.XXXXXX"); then
    skip "$len"; status=1; echo "failed $dest: cannot create a file in $dir"; continue
  fi
  if ! chown -- "$user:$group" "$tmp" || ! chmod -- "$mode" "$tmp"; then
    rm -f -- "$tmp"; skip "$len"; status=1
    echo "failed $dest: cannot give it owner $user:$group and mode $mode"; continue
  fi
  head -c "$len" >"$tmp"
  got=$(sha256sum <"$tmp" | cut -d ' ' -f 1)
  if [ "$got" != "$sum" ]; then
    rm -f -- "$tmp"; echo "failed $dest: its content arrived incomplete"; exit 1
  fi
  if ! sync -- "$tmp" || ! mv -fT -- "$tmp" "$dest"; then
    rm -f -- "$tmp"; status=1; echo "failed $dest: cannot move it into place"; continue
  fi
  echo "written $dest"
done
if [ "$ended" != 1 ]; then echo 'nix-hive: the key stream ended early' >&2; exit 1; fi
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
export function keyStream(keys: KeyFrame[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`${KEY_STREAM_MAGIC}\n`)];
  for (const k of keys) {
    for (const [what, v] of [
      ['dest', k.dest],
      ['user', k.user],
      ['group', k.group],
    ] as const)
      if (v === '' || /\s/.test(v)) throw new Error(`key stream: invalid ${what} ${JSON.stringify(v)}`);
    if (!/^0?[0-7]{3}$/.test(k.mode)) throw new Error(`key stream: invalid mode ${JSON.stringify(k.mode)}`);
    const sum = createHash('sha256').update(k.content).digest('hex');
    const header = `${k.content.length} ${sum} ${statMode(k.mode)} ${k.user} ${k.group} ${k.dest}\n`;
    parts.push(Buffer.from(header), Buffer.from(k.content.buffer, k.content.byteOffset, k.content.length));
  }
  parts.push(Buffer.from('end\n'));
  return Buffer.concat(parts);
}

export interface KeyOutcome {
  dest: string;
  state: 'written' | 'unchanged' | 'failed';
  reason?: string;
}

/** The script's report, one line per key: `written <dest>`, `unchanged <dest>`, `failed <dest>: <why>`. */
export function parseUploadOutput(stdout: string): KeyOutcome[] {
  const out: KeyOutcome[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(written|unchanged|failed) (\S+?)(?:: (.*))?$/.exec(line);
    if (!m) continue;
    out.push({ dest: m[2]!, state: m[1] as KeyOutcome['state'], ...(m[3] ? { reason: m[3] } : {}) });
  }
  return out;
}
