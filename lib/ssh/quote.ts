// The one function that turns an argv into a command line for the remote POSIX shell (ssh runs it with `$SHELL -c`).
// Every argument is single-quoted unless it is made only of characters no shell treats specially.

/** Characters that need no quoting anywhere in a POSIX shell word. `=` and `~` are absent on purpose. */
const SAFE = /^[A-Za-z0-9_@%+:,./-]+$/;

/** Quote one word for a POSIX shell. `it's` → `'it'\''s'`; the empty string → `''`. */
export function quoteWord(word: string): string {
  if (word.includes('\0')) throw new TypeError('a command argument cannot contain a NUL byte');
  if (SAFE.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Quote an argv into one command line that a POSIX shell splits back into exactly the same argv. The first word is
 * always quoted, so it is never taken as a reserved word (`if`, `time`), an assignment (`A=b`) or an alias.
 */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new TypeError('quoteArgv: the command is empty');
  return argv.map((word, i) => (i === 0 ? forceQuote(word) : quoteWord(word))).join(' ');
}

function forceQuote(word: string): string {
  const q = quoteWord(word);
  return q.startsWith("'") ? q : `'${q}'`;
}
