// The fleet's network: a switch netns with a public and an internal bridge, the deployer's uplink veth
// into the public bridge, one veth per host leg, optional tbf shaping and per-interface byte counters.
import { readFile } from 'node:fs/promises';
import { hostOctet, releaseClaim, switchPorts, type RunNames } from './names.ts';
import { must, run } from './proc.ts';

export type Network = 'public' | 'internal' | 'both';

/** Turns off IPv6 in a netns so router solicitations and MLD reports do not add noise to byte counters. */
async function noIpv6(netns: string): Promise<void> {
  await run(['ip', 'netns', 'exec', netns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
  await run(['ip', 'netns', 'exec', netns, 'sysctl', '-q', '-w', 'net.ipv6.conf.default.disable_ipv6=1']);
}

/** Creates the switch netns, both bridges, and the deployer's uplink with `deployerAddress`/24. */
export async function createSwitch(n: RunNames): Promise<void> {
  await must(['ip', 'netns', 'add', n.switchNetns]);
  await noIpv6(n.switchNetns);
  for (const br of [n.publicBridge, n.internalBridge]) {
    await must(['ip', '-n', n.switchNetns, 'link', 'add', br, 'type', 'bridge', 'stp_state', '0']);
    await must(['ip', '-n', n.switchNetns, 'link', 'set', br, 'up']);
  }
  await must([
    'ip',
    'link',
    'add',
    n.uplink,
    'type',
    'veth',
    'peer',
    'name',
    n.uplinkPeer,
    'netns',
    n.switchNetns,
  ]);
  await run(['sysctl', '-q', '-w', `net.ipv6.conf.${n.uplink}.disable_ipv6=1`]);
  await must(['ip', '-n', n.switchNetns, 'link', 'set', n.uplinkPeer, 'master', n.publicBridge, 'up']);
  await must(['ip', 'addr', 'add', `${n.deployerAddress}/24`, 'dev', n.uplink]);
  await must(['ip', 'link', 'set', n.uplink, 'up']);
  // The uplink's own route for the public /24 now holds it (a later claim of it fails): drop the claim.
  await releaseClaim(n.publicPrefix);
}

export interface HostAddresses {
  publicAddress?: string;
  internalAddress?: string;
}

/** Creates the host's netns and its legs: eth0 on the public bridge and/or eth1 on the internal one. */
export async function createHostNet(
  n: RunNames,
  netns: string,
  index: number,
  network: Network,
): Promise<HostAddresses> {
  await must(['ip', 'netns', 'add', netns]);
  await noIpv6(netns);
  await must(['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
  const ports = switchPorts(index);
  const out: HostAddresses = {};
  const legs: Array<[string, string, string, string]> = [];
  if (network !== 'internal') {
    out.publicAddress = `${n.publicPrefix}.${hostOctet(index)}`;
    legs.push([ports.public, 'eth0', n.publicBridge, out.publicAddress]);
  }
  if (network !== 'public') {
    out.internalAddress = `${n.internalPrefix}.${hostOctet(index)}`;
    legs.push([ports.internal, 'eth1', n.internalBridge, out.internalAddress]);
  }
  for (const [port, ifname, bridge, address] of legs) {
    const sw = n.switchNetns;
    await must(['ip', '-n', sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', ifname, 'netns', netns]);
    await must(['ip', '-n', sw, 'link', 'set', port, 'master', bridge, 'up']);
    await must(['ip', '-n', netns, 'addr', 'add', `${address}/24`, 'dev', ifname]);
    await must(['ip', '-n', netns, 'link', 'set', ifname, 'up']);
  }
  return out;
}

/**
 * Keeps the deployer's packets for the internal subnet inside the run: route them to the jump host (which
 * does not forward, so they die there) or, without a jump host, leave the subnet unreachable (the claim
 * `newRunNames` made). Either way nothing for those addresses leaves through the machine's default route.
 */
export async function routeInternal(n: RunNames, jumpPublicAddress: string | undefined): Promise<void> {
  const subnet = `${n.internalPrefix}.0/24`;
  if (jumpPublicAddress)
    await must(['ip', 'route', 'replace', subnet, 'via', jumpPublicAddress, 'dev', n.uplink]);
}

/** A token bucket on one interface's egress (netem is not available); `netns` undefined = the root one. */
async function tbf(netns: string | undefined, dev: string, mbit: number): Promise<void> {
  const bytesPerSec = (mbit * 1_000_000) / 8;
  const burst = Math.max(32 * 1024, Math.round(bytesPerSec / 50));
  const tc = netns ? ['ip', 'netns', 'exec', netns, 'tc'] : ['tc'];
  await must([
    ...tc,
    'qdisc',
    'replace',
    'dev',
    dev,
    'root',
    'tbf',
    'rate',
    `${mbit}mbit`,
    'burst',
    String(burst),
    'latency',
    '200ms',
  ]);
}

/** Shapes what the deployer sends into the fleet with a token bucket. */
export async function shapeUplink(n: RunNames, mbit: number): Promise<void> {
  await tbf(undefined, n.uplink, mbit);
}

/**
 * A host's NIC at `mbit` both ways, as on real hardware: tbf on what it sends (its ethN) and on what the
 * switch delivers to it (the switch end of each leg).
 */
export async function shapeHost(
  n: RunNames,
  netns: string,
  index: number,
  network: Network,
  mbit: number,
): Promise<void> {
  const ports = switchPorts(index);
  if (network !== 'internal') {
    await tbf(netns, 'eth0', mbit);
    await tbf(n.switchNetns, ports.public, mbit);
  }
  if (network !== 'public') {
    await tbf(netns, 'eth1', mbit);
    await tbf(n.switchNetns, ports.internal, mbit);
  }
}

/** What a host sent (tx) and received (rx) over all its legs, from its own interface counters. */
export async function hostBytes(netns: string): Promise<Bytes> {
  const r = await must(['ip', '-n', netns, '-s', '-j', 'link', 'show']);
  let tx = 0;
  let rx = 0;
  for (const l of JSON.parse(r.stdout) as IpLinkStats[]) {
    if (!/^eth\d$/.test(l.ifname) || !l.stats64) continue;
    tx += l.stats64.tx.bytes;
    rx += l.stats64.rx.bytes;
  }
  return { tx, rx };
}

export interface Bytes {
  tx: number;
  rx: number;
}

export async function uplinkBytes(n: RunNames): Promise<Bytes> {
  const read = async (what: string) =>
    Number((await readFile(`/sys/class/net/${n.uplink}/statistics/${what}`, 'utf8')).trim());
  return { tx: await read('tx_bytes'), rx: await read('rx_bytes') };
}

interface IpLinkStats {
  ifname: string;
  master?: string;
  stats64?: { rx: { bytes: number }; tx: { bytes: number } };
}

/**
 * Bytes on the internal network, seen from the hosts: `tx` = what hosts sent onto it, `rx` = what the
 * bridge delivered to them (summed over every internal leg, read at the switch ends of the veths).
 */
export async function internalBytes(n: RunNames): Promise<Bytes> {
  const r = await must(['ip', '-n', n.switchNetns, '-s', '-j', 'link', 'show']);
  const links = JSON.parse(r.stdout) as IpLinkStats[];
  let tx = 0;
  let rx = 0;
  for (const l of links) {
    if (l.master !== n.internalBridge || !l.stats64) continue;
    tx += l.stats64.rx.bytes;
    rx += l.stats64.tx.bytes;
  }
  return { tx, rx };
}
