// The remote wrapper of `nix-hive run`: the command runs in its own process group (setsid), and that
// group is stopped (TERM, then KILL 2 s later) when the connection ends or a backstop timer runs out,
// so a `--timeout` or a Ctrl-C here never leaves the command running there. The client keeps the
// command's stdin open while it lives: its end of file means "the client is gone". With `--stdin`, the
// first <bytes> of it are the command's input. A pure argv builder; the script is fixed text and user
// data travels only as positional arguments (the one quoting function then quotes the whole argv).

/** Exit code of the wrapper when the client went away (nobody reads it) and when the backstop fired. */
export const GONE_EXIT = 129;
export const BACKSTOP_EXIT = 124;

export const RUN_WRAPPER = [
  't=$1; n=$2; shift 2; cmd=; code=; tw=',
  'own=; if command -v setsid > /dev/null 2>&1; then own=setsid; fi',
  'stop() {',
  '  code=$1',
  '  [ -n "$cmd" ] || exit "$code"',
  '  kill -s TERM -- "-$cmd" 2> /dev/null || kill -s TERM "$cmd" 2> /dev/null',
  '  (sleep 2; kill -s KILL -- "-$cmd" 2> /dev/null) < /dev/null > /dev/null 2>&1 &',
  '}',
  `trap 'stop ${GONE_EXIT}' HUP`,
  `trap 'stop ${BACKSTOP_EXIT}' ALRM`,
  'exec 3<&0',
  'if [ "$n" -ge 0 ]; then',
  // A pipe for the input that is not a pipeline (the shell waits for the command alone): a FIFO in a
  // private folder, opened at both ends and removed at once.
  '  d=$(mktemp -d) && mkfifo "$d/in" && exec 4<> "$d/in" 5> "$d/in" 6< "$d/in" 4<&-',
  '  rm -rf "$d"',
  '  $own "$@" <&6 3<&- 5>&- 6<&- &',
  '  cmd=$!',
  '  { head -c "$n" >&5; exec 5>&-; cat > /dev/null; kill -HUP $$; } <&3 6<&- > /dev/null 2>&1 &',
  '  feed=$!',
  '  exec 5>&- 6<&-',
  'else',
  '  $own "$@" < /dev/null 3<&- &',
  '  cmd=$!',
  '  { cat > /dev/null; kill -HUP $$; } <&3 > /dev/null 2>&1 &',
  '  feed=$!',
  'fi',
  'exec 3<&-',
  'if [ "$t" -gt 0 ]; then',
  `  (trap 'kill $s; exit 0' TERM; sleep "$t" & s=$!; wait $s; kill -ALRM $$) < /dev/null > /dev/null 2>&1 &`,
  '  tw=$!',
  'fi',
  'wait "$cmd" 2> /dev/null; rc=$?',
  'if [ -n "$code" ]; then wait "$cmd" 2> /dev/null; rc=$code; fi',
  'kill $tw "$feed" 2> /dev/null',
  'exit "$rc"',
].join('\n');

export interface RunWrapperOptions {
  /** Seconds after which the remote side stops the command by itself (0: never). */
  backstopSeconds?: number;
  /** Bytes at the start of stdin that are the command's input; undefined: the command reads nothing. */
  inputBytes?: number;
}

/** The argv that runs `argv` under the wrapper (pass it to the quoting of the ssh command as it is). */
export function runWrapperArgv(argv: readonly string[], opts: RunWrapperOptions = {}): string[] {
  if (argv.length === 0) throw new TypeError('runWrapperArgv: the command is empty');
  const t = Math.max(0, Math.ceil(opts.backstopSeconds ?? 0));
  const n = opts.inputBytes === undefined ? -1 : opts.inputBytes;
  return ['sh', '-c', RUN_WRAPPER, 'nix-hive-run', String(t), String(n), ...argv];
}
