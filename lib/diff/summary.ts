// The fleet's one-line summary of a diff: how many systems change on how many hosts, packages added, removed
// and upgraded, services restarted, hosts that need a reboot (distinct packages and units across blocks).
import type { DiffBlock, FleetDiff } from './types.ts';

const count = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

export function summaryLine(
  diff: Pick<FleetDiff, 'blocks' | 'unreachable' | 'unreadable' | 'unbuilt'>,
): string {
  const changing: DiffBlock[] = diff.blocks.filter((b) => !b.unchanged);
  const hosts = changing.reduce((n, b) => n + b.instances.length, 0);
  const added = new Set<string>();
  const removed = new Set<string>();
  const upgraded = new Set<string>();
  const restarted = new Set<string>();
  let reboot = 0;
  for (const b of changing) {
    b.packages?.added.forEach((p) => added.add(p));
    b.packages?.removed.forEach((p) => removed.add(p));
    b.packages?.changed.forEach((p) => upgraded.add(p.name));
    if (b.services && 'changes' in b.services) b.services.changes.restart.forEach((u) => restarted.add(u));
    reboot += b.needsReboot.length;
  }
  const servicesKnown = changing.some((b) => b.services && 'changes' in b.services);
  const systems = new Set(changing.map((b) => b.to)).size;
  const unread = diff.unreachable.length + diff.unreadable.length + diff.unbuilt.length;
  const tail = unread ? `; ${plural(unread, 'host')} not compared` : '';
  if (hosts === 0)
    return `no system changes on ${plural(
      diff.blocks.reduce((n, b) => n + b.instances.length, 0),
      'host',
    )}${tail}`;
  return (
    `${plural(systems, 'system')} change on ${plural(hosts, 'host')}: ` +
    `+${plural(added.size, 'package')}, \u2212${count(removed.size)}, ${count(upgraded.size)} upgraded, ` +
    (servicesKnown ? `${plural(restarted.size, 'service')} restarted, ` : '') +
    `${plural(reboot, 'host')} need${reboot === 1 ? 's' : ''} a reboot` +
    tail
  );
}
