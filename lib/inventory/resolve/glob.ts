// Glob patterns for target selection: `*`, `?` and `[...]` (with `!` or `^` to negate), compiled to a RegExp.

export function hasGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** Compiles a glob; throws an Error with a short reason when it is malformed. */
export function globToRegExp(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new Error('unclosed "["');
      let body = pattern.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, (m) => '\\' + m)}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\\]]/g, (m) => '\\' + m);
  }
  return new RegExp(re + '$');
}
