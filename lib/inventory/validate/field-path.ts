// Paths in messages: field paths (`instances.www-1.store`, `systems.web.modules[0]`, `instances["odd name"]`)
// and file paths (relative to the working folder when inside it).
import path from 'node:path';

const PLAIN = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/** A user-given string inside a message: JSON-quoted, so quotes and line breaks can never split the line. */
export function quote(value: string): string {
  return JSON.stringify(value);
}

/** Appends a key or index to a path. */
export function fieldPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (PLAIN.test(key)) return base ? `${base}.${key}` : key;
  return `${base}[${JSON.stringify(key)}]`;
}

/** Turns a JSON pointer (`/instances/www-1/port`) into a field path, using the data to tell indices from keys. */
export function pointerToPath(pointer: string, data: unknown): string {
  if (!pointer) return '';
  let path = '';
  let node: unknown = data;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path = fieldPath(path, Number(key));
      node = node[Number(key)];
    } else {
      path = fieldPath(path, key);
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return path;
}

/** How a path is shown in messages: relative to the working folder when inside it. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}
