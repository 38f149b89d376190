// The text form of a diff: one block per (running → new) pair with the instances it applies to, then the
// instances that could not be compared, then the fleet's summary line. `verbose` lists rebuilt packages.
import type { ServiceChanges } from './activation.ts';
import type { DiffBlock, FleetDiff } from './types.ts';

export function formatBytes(n: number): string {
  const sign = n < 0 ? '-' : '';
  let v = Math.abs(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${sign}${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

const signed = (n: number) => (n >= 0 ? `+${formatBytes(n)}` : formatBytes(n));

/** At most `max` names, then how many more. */
export function names(list: readonly string[], max = 8): string {
  return list.length <= max
    ? list.join(', ')
    : `${list.slice(0, max).join(', ')} and ${(list.length - max).toLocaleString('en-US')} more`;
}

function serviceLines(s: ServiceChanges): string[] {
  const out: string[] = [];
  const add = (what: string, units: string[]) => {
    if (units.length) out.push(`    ${what}: ${units.join(', ')}`);
  };
  add('stop', s.stop);
  add('start', s.start);
  add('restart', s.restart);
  add('reload', s.reload);
  add('not stopped (changed)', s.skip);
  add('failed', s.failed);
  if (s.restartSystemd) out.push('    systemd would be restarted');
  return out;
}

export function renderBlock(b: DiffBlock, o: { verbose?: boolean } = {}): string[] {
  const n = b.instances.length;
  const lines = [
    `${b.systems.join(', ')}: ${n.toLocaleString('en-US')} host${n === 1 ? '' : 's'} (${names(b.instances)})`,
  ];
  lines.push(`  ${b.from}`, `  \u2192 ${b.to}`);
  if (b.unchanged) return [...lines, '  unchanged: already running'];
  if (b.error) lines.push(`  error: ${b.error}`);
  const p = b.packages;
  if (p) {
    lines.push(
      `  packages: ${p.added.length} added, ${p.removed.length} removed, ${p.changed.length} changed, ${p.rebuilt.length} rebuilt`,
    );
    for (const a of p.added) lines.push(`    + ${a}`);
    for (const r of p.removed) lines.push(`    - ${r}`);
    for (const c of p.changed) lines.push(`    ${c.name}: ${c.from.join(', ')} \u2192 ${c.to.join(', ')}`);
    if (o.verbose) for (const r of p.rebuilt) lines.push(`    rebuilt: ${r}`);
  }
  if (b.size)
    lines.push(
      `  closure: ${formatBytes(b.size.before)} \u2192 ${formatBytes(b.size.after)} (${signed(b.size.delta)})`,
    );
  if (b.toCopy)
    lines.push(
      `  to copy: ${formatBytes(b.toCopy.bytes)} in ${b.toCopy.paths} path${b.toCopy.paths === 1 ? '' : 's'} (to ${b.toCopy.on})`,
    );
  if (b.services && 'unknown' in b.services) lines.push(`  services: unknown (${b.services.unknown})`);
  else if (b.services) {
    const s = serviceLines(b.services.changes);
    lines.push(`  services (dry-activate on ${b.services.on}):${s.length ? '' : ' no change'}`, ...s);
  }
  // One line per set of changed parts, however many instances share it.
  const byParts = new Map<string, string[]>();
  for (const r of b.needsReboot) {
    const key = r.parts.join(', ');
    byParts.set(key, [...(byParts.get(key) ?? []), r.instance]);
  }
  for (const [parts, who] of byParts) lines.push(`  needs reboot: ${names(who)} (${parts} changed)`);
  return lines;
}

export function renderDiff(d: FleetDiff, o: { verbose?: boolean } = {}): string {
  const out: string[] = [];
  for (const b of d.blocks) out.push(...renderBlock(b, o), '');
  for (const u of d.unreachable) out.push(`unreachable: ${u.instance} (${u.reason})`);
  for (const u of d.unreadable) out.push(`running system unknown: ${u.instance} (${u.reason})`);
  for (const u of d.unbuilt) out.push(`not built: ${u.instance} (${u.reason})`);
  if (d.unreachable.length + d.unreadable.length + d.unbuilt.length) out.push('');
  out.push(d.summary);
  return out.join('\n') + '\n';
}
