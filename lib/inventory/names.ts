// Names of instances, systems and tags: safe as ssh Host aliases, file names and CLI words (no leading "-").

export const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/;

export function isValidName(name: string): boolean {
  return NAME_RE.test(name);
}
