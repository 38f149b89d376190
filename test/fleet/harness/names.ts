// Names and subnets of one fleet run: everything is derived from a random run id, so parallel or
// crashed runs never collide (interface names stay within Linux's 15 characters).
import { randomBytes, randomInt } from 'node:crypto';
import { run } from './proc.ts';

export interface RunNames {
  runId: string;
  /** netns holding both bridges (and the switch ends of every veth). */
  switchNetns: string;
  /** The root namespace's end of the public bridge (a veth). */
  uplink: string;
  /** Its peer inside the switch netns. */
  uplinkPeer: string;
  publicBridge: string;
  internalBridge: string;
  /** First three octets, e.g. `10.123.45`. */
  publicPrefix: string;
  internalPrefix: string;
  deployerAddress: string;
}

/** The prefix every netns of any fleet run starts with (`ip netns list | grep ^nh-`). */
export const NETNS_PREFIX = 'nh-';

export function hostNetns(runId: string, host: string): string {
  return `${NETNS_PREFIX}${runId}-${host}`;
}

/** Switch-side veth names for host number `i`. */
export function switchPorts(i: number): { public: string; internal: string } {
  return { public: `pub${i}`, internal: `int${i}` };
}

/** Host addresses: .10, .11, … on each /24. */
export function hostOctet(i: number): number {
  return 10 + i;
}

export const MAX_HOSTS = 240;

/** IPv4 /24 prefixes routed or assigned in the root namespace right now. */
async function usedPrefixes(): Promise<Set<string>> {
  const r = await run(['ip', '-4', '-o', 'addr', 'show']);
  const routes = await run(['ip', '-4', 'route', 'show', 'table', 'all']);
  const used = new Set<string>();
  for (const m of `${r.stdout}\n${routes.stdout}`.matchAll(/\b(\d+\.\d+\.\d+)\.\d+(?:\/\d+)?/g)) {
    used.add(m[1]!);
  }
  return used;
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, octet) => (n * 256 + Number(octet)) >>> 0, 0);
}

/** True when a route wider than /24 in `routes` (e.g. 10.0.0.0/8 through a VPN) covers `prefix`.0/24. */
function covered(prefix: string, routes: string): boolean {
  const ours = ipToInt(`${prefix}.0`);
  for (const m of routes.matchAll(/\b(\d+\.\d+\.\d+\.\d+)\/(\d+)/g)) {
    const len = Number(m[2]);
    if (len >= 24 || len === 0) continue;
    const mask = (0xffffffff << (32 - len)) >>> 0;
    if ((ours & mask) >>> 0 === (ipToInt(m[1]!) & mask) >>> 0) return true;
  }
  return false;
}

/**
 * Claims `<prefix>.0/24` with an `unreachable` route. `ip route add` is exclusive: it fails when any run
 * already routes that /24 (another run's claim, its uplink's prefix route or its internal route), so two
 * runs that drew the same prefix at the same moment (fleet files run side by side) cannot both take it.
 */
async function claim(prefix: string): Promise<boolean> {
  return (await run(['ip', 'route', 'add', 'unreachable', `${prefix}.0/24`])).exitCode === 0;
}

/** Gives back a claim that `routeInternal`/`createSwitch` did not turn into the run's own route. */
export async function releaseClaim(prefix: string): Promise<void> {
  await run(['ip', 'route', 'delete', 'unreachable', `${prefix}.0/24`]);
}

/** A free /24 drawn by `draw`, claimed (see `claim`); '' when 100 draws found none. */
async function claimFree(draw: () => string, used: Set<string>, routes: string): Promise<string> {
  for (let tries = 0; tries < 100; tries++) {
    const p = draw();
    if (!used.has(p) && !covered(p, routes) && (await claim(p))) return p;
  }
  return '';
}

/**
 * A new run's names and its two /24s, both claimed by an `unreachable` route in the root namespace:
 * `createSwitch` replaces the public one by the uplink's own route, `routeInternal` the internal one by
 * the route to the jump host (without a jump host the claim is the route), dispose deletes what is left.
 */
export async function newRunNames(): Promise<RunNames> {
  const runId = randomBytes(3).toString('hex');
  const used = await usedPrefixes();
  const routes = (await run(['ip', '-4', 'route', 'show', 'table', 'all'])).stdout;
  const publicPrefix = await claimFree(() => `10.${randomInt(64, 250)}.${randomInt(0, 256)}`, used, routes);
  if (!publicPrefix) throw new Error('fleet: found no free 10.x.y.0/24 for the public bridge');
  // The internal subnet lives in the run's own namespaces, but the deployer routes it (routeInternal): like the
  // public one, it must not be a prefix another run (fleet files run side by side) has routed already.
  const internalPrefix = await claimFree(() => `172.${randomInt(16, 32)}.${randomInt(0, 256)}`, used, routes);
  if (!internalPrefix) {
    await releaseClaim(publicPrefix);
    throw new Error('fleet: found no free 172.16-31.y.0/24 for the internal bridge');
  }
  return {
    runId,
    switchNetns: `${NETNS_PREFIX}${runId}-sw`,
    uplink: `nh${runId}up`,
    uplinkPeer: 'up0',
    publicBridge: 'br-pub',
    internalBridge: 'br-int',
    publicPrefix,
    internalPrefix,
    deployerAddress: `${publicPrefix}.1`,
  };
}
