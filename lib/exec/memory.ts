// How much memory a process uses, from Linux's /proc: its proportional set size (PSS, the pages it shares
// counted in part, so a sum over processes is the machine's cost) from smaps_rollup, else its RSS from status.
// Undefined where /proc has neither (another OS, a process that has ended): no bound is then enforced.
import { readFile } from 'node:fs/promises';

/** Bytes of memory of one process, or undefined when it cannot be read. */
export async function processMemory(pid: number): Promise<number | undefined> {
  for (const [file, field] of [
    ['smaps_rollup', 'Pss'],
    ['status', 'VmRSS'],
  ] as const) {
    try {
      const text = await readFile(`/proc/${pid}/${file}`, 'utf8');
      const kib = kibField(text, field);
      if (kib !== undefined) return kib * 1024;
    } catch {
      // not readable: try the next file
    }
  }
  return undefined;
}

/** `Pss:   123456 kB` → 123456. */
export function kibField(text: string, field: string): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}
