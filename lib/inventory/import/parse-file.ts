// Reads one inventory file and parses it as JSON or YAML (JSON first: terraform and pulumi write JSON, and
// YAML would accept most broken JSON as a string). Failures are one line naming the file, never a stack.
import { readFileSync } from 'node:fs';
import { lazy } from '../../lazy.ts';

const YAML = lazy<typeof import('yaml')>('yaml');

export type Parsed = { ok: true; data: unknown } | { ok: false; message: string };

export function parseInventoryFile(file: string): Parsed {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, message: 'file not found' };
    if (code === 'EISDIR') return { ok: false, message: 'not a file' };
    return { ok: false, message: `cannot read (${code ?? (e as Error).message})` };
  }
  return parseInventoryText(text, /\.ya?ml$/i.test(file) ? 'yaml' : 'json');
}

/** JSON-looking text (and any `.json` file) is parsed as JSON; the rest as yaml(). */
export function parseInventoryText(text: string, hint: 'json' | 'yaml'): Parsed {
  if (text.trim() === '') return { ok: false, message: 'empty file (no instances)' };
  const first = text.trimStart()[0];
  if (hint === 'json' || first === '{' || first === '[') {
    try {
      return { ok: true, data: JSON.parse(text) };
    } catch (e) {
      if (hint === 'json')
        return { ok: false, message: `cannot parse JSON: ${jsonReason(e as Error, text)}` };
    }
  }
  try {
    const doc = YAML().parseDocument(text, { uniqueKeys: true, prettyErrors: false });
    const err = doc.errors[0];
    if (err) return { ok: false, message: `cannot parse YAML: ${yamlReason(err, text)}` };
    return { ok: true, data: doc.toJS({ maxAliasCount: 1000 }) };
  } catch (e) {
    return { ok: false, message: `cannot parse YAML: ${oneLine((e as Error).message)}` };
  }
}

/** Node's messages may quote the text (a secret, perhaps): keep a short reason and the position only. */
function jsonReason(e: Error, text: string): string {
  const m = oneLine(e.message);
  const pos = /at position (\d+)/.exec(m);
  const reason = /end of (JSON|data) input/.test(m) ? 'unexpected end of input' : 'unexpected character';
  return pos ? `${reason} at ${lineCol(text, Number(pos[1]))}` : reason;
}

function yamlReason(err: { code: string; pos: [number, number] }, text: string): string {
  return `${err.code.toLowerCase().replace(/_/g, ' ')} at ${lineCol(text, err.pos[0])}`;
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

function oneLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
