// The last line of a command's output, for one-line messages (`ssh to x failed: <last line>`).

/** The last non-blank line of `text`, trimmed ('' when there is none). */
export function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? '';
}
