// Our own output closing under us (`deploy | head`, a closed terminal, a full disk behind a redirect) is
// not a crash: the first write error on stdout or stderr stops the running command as a Ctrl-C would,
// and every later write to that stream is dropped. Without this, Node throws EPIPE from an 'error' event.
import { interruptAll } from './interrupt.ts';

let installed = false;
const closed = new Set<'stdout' | 'stderr'>();

/** Whether a write to the stream failed (its reader is gone). */
export function outputClosed(stream: 'stdout' | 'stderr'): boolean {
  return closed.has(stream);
}

export function guardOutput(): void {
  if (installed) return;
  installed = true;
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name];
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (closed.has(name)) return;
      closed.add(name);
      // Later writes go nowhere instead of raising again on a destroyed stream.
      stream.write = (() => true) as typeof stream.write;
      interruptAll(`${name} closed (${err.code ?? err.message})`);
    });
  }
}
