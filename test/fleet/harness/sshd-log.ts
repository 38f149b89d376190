// What a fleet host's sshd log (`sshd -E <file>`) says, for both host kinds: its text, how often sshd has
// started listening, and the TCP connections it accepted.
import { readFile } from 'node:fs/promises';

/** The log's text ('' before sshd wrote one). */
export function readSshdLog(file: string): Promise<string> {
  return readFile(file, 'utf8').catch(() => '');
}

/** `Server listening on` lines: one more each time sshd has started and bound its port. */
export async function listeningCount(file: string): Promise<number> {
  return (await readSshdLog(file)).split('\n').filter((l) => l.includes('Server listening on')).length;
}

/** Accepted TCP connections (`Connection from <addr> port …`), optionally only those from one address. */
export async function connectionCount(file: string, fromAddress?: string): Promise<number> {
  let n = 0;
  for (const m of (await readSshdLog(file)).matchAll(/Connection from (\S+) port \d+ on /g)) {
    if (fromAddress === undefined || m[1] === fromAddress) n++;
  }
  return n;
}
