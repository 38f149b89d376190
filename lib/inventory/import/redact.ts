// Messages about instances from sensitive outputs never show their values: every quoted string that is one
// of the instance's values (or a piece of one, four characters or more), and every number or boolean a
// message echoes, becomes "(sensitive)".
// Names (instance, system, output) are not secret: they are the paths of the messages.
import { isDict } from '../validate/guards.ts';

/** Every string in a value, recursively (keys included: an ssh option's name is data too). */
export function secretsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) secretsOf(v, out);
  else if (isDict(value))
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      secretsOf(v, out);
    }
  return out;
}

const QUOTED = /"(?:[^"\\]|\\.)*"/g;
const ECHOED = /\b(got|value|item) (-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|true|false)\b/g;

export function redact(message: string, secrets: string[]): string {
  return message
    .replace(QUOTED, (lit) => {
      let text: string;
      try {
        text = String(JSON.parse(lit));
      } catch {
        return '(sensitive)';
      }
      const core = text.endsWith('…') ? text.slice(0, -1) : text;
      // A value itself, its truncated start, or a piece of it (a store URI's bad setting); not "@" or "-".
      const secret = secrets.some((s) => s === core || (core.length >= 4 && s.includes(core)));
      return secret ? '(sensitive)' : lit;
    })
    .replace(ECHOED, '$1 (sensitive)');
}
