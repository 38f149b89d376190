// The lifetime of a fleet beyond its happy path: exit and signal hooks that end the fleets of a dying
// process, and the leftovers.json record that lets another process (demo-down) end a persisted fleet.
import { readFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { disposeSync, type Leftovers } from './dispose.ts';

/** Fleets of this process still up; the exit hooks end them. */
const live = new Set<Leftovers>();
let hooked = false;

/** Ends `l` when this process exits or gets SIGINT/SIGTERM/SIGHUP (best effort, synchronous). */
export function endWithProcess(l: Leftovers): void {
  live.add(l);
  hookExit();
}

/** Forget `l` once it is disposed. */
export function forget(l: Leftovers): void {
  live.delete(l);
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const l of live) disposeSync(l);
  });
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.once(signal, () => {
      for (const l of live) disposeSync(l);
      process.exit(code);
    });
  }
}

interface LeftoversJson {
  pids: number[];
  netns: string[];
  uplink: string;
  internalSubnet?: string;
  publicSubnet?: string;
  dir: string;
}

export function leftoversJson(l: Leftovers): LeftoversJson {
  return {
    pids: [...l.pids],
    netns: l.netns,
    uplink: l.uplink,
    internalSubnet: l.internalSubnet,
    publicSubnet: l.publicSubnet,
    dir: l.dir,
  };
}

/** Tears down a fleet started with `persist` from another process, using `<dir>/leftovers.json`. */
export async function disposeRecorded(fleetDir: string): Promise<void> {
  const j = JSON.parse(await readFile(`${fleetDir}/leftovers.json`, 'utf8')) as LeftoversJson;
  if (j.dir !== fleetDir) throw new Error(`fleet: ${fleetDir}/leftovers.json describes ${j.dir}`);
  // Recorded pids may have been reused since; the netns and folder checks find the real leftovers.
  disposeSync({
    pids: new Set(),
    netns: j.netns,
    uplink: j.uplink,
    internalSubnet: j.internalSubnet,
    publicSubnet: j.publicSubnet,
    dir: j.dir,
  });
}

/** Writes `<dir>/leftovers.json` for `disposeRecorded`. */
export function recordLeftovers(l: Leftovers): void {
  writeFileSync(`${l.dir}/leftovers.json`, JSON.stringify(leftoversJson(l)));
}
