// bench/chart.svg, drawn by the benchmark itself: hand-written SVG, one bar panel per headline figure
// (uplink bytes, shaped wall time with its lower bound, connections per host, planning time by size).
import type { BenchResults } from './report.ts';
import { VARIANT_LABEL, VARIANTS } from './variants.ts';

interface Bar {
  label: string;
  value: number;
  text: string;
  color: string;
}

interface Panel {
  title: string;
  bars: Bar[];
  reference?: { value: number; label: string };
}

const COLORS = { 'nix-hive': '#2f7d4f', sequential: '#b5523b', parallel: '#d08a2e' } as const;
const W = 440;
const H = 280;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function panel(p: Panel, x0: number, y0: number): string {
  const top = 44;
  const bottom = 56;
  const left = 20;
  const plotH = H - top - bottom;
  const max = Math.max(...p.bars.map((b) => b.value), p.reference?.value ?? 0) * 1.1 || 1;
  const slot = (W - 2 * left) / Math.max(1, p.bars.length);
  const out = [
    `<g transform="translate(${x0},${y0})">`,
    `<rect x="0.5" y="0.5" width="${W - 1}" height="${H - 1}" fill="#fff" stroke="#ccc"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.title)}</text>`,
    `<line x1="${left}" y1="${top + plotH}" x2="${W - left}" y2="${top + plotH}" stroke="#888"/>`,
  ];
  p.bars.forEach((b, i) => {
    const h = (b.value / max) * plotH;
    const x = left + i * slot + slot * 0.15;
    const w = slot * 0.7;
    const y = top + plotH - h;
    out.push(
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${Math.max(h, 0.5).toFixed(1)}" fill="${b.color}"/>`,
      `<text x="${(x + w / 2).toFixed(1)}" y="${(y - 5).toFixed(1)}" text-anchor="middle" font-size="12">${esc(b.text)}</text>`,
      ...b.label
        .split('\n')
        .map(
          (line, j) =>
            `<text x="${(x + w / 2).toFixed(1)}" y="${top + plotH + 16 + j * 13}" text-anchor="middle" font-size="11">${esc(line)}</text>`,
        ),
    );
  });
  if (p.reference) {
    const y = top + plotH - (p.reference.value / max) * plotH;
    out.push(
      `<line x1="${left}" y1="${y.toFixed(1)}" x2="${W - left}" y2="${y.toFixed(1)}" stroke="#333" stroke-dasharray="5 4"/>`,
      `<text x="${W - left}" y="${(y - 4).toFixed(1)}" text-anchor="end" font-size="11">${esc(p.reference.label)}</text>`,
    );
  }
  out.push('</g>');
  return out.join('\n');
}

const shortLabel = (v: (typeof VARIANTS)[number]) => VARIANT_LABEL[v].replace(': ', ':\n');

export function renderChart(r: BenchResults): string {
  const panels: Panel[] = [];
  const f = r.fleet?.figures;
  if (f) {
    panels.push({
      title: 'Uplink bytes ÷ unique closure bytes',
      bars: VARIANTS.map((v) => ({
        label: shortLabel(v),
        value: f.bytesRatio[v],
        text: f.bytesRatio[v].toFixed(2),
        color: COLORS[v],
      })),
      reference: { value: 1, label: 'every unique byte once' },
    });
    if (f.shaped) {
      const s = f.shaped;
      panels.push({
        title: `Wall time, ${s.mbit} Mbit/s uplink (median, s)`,
        bars: VARIANTS.map((v) => ({
          label: shortLabel(v),
          value: s.wallMedianMs[v] / 1000,
          text: `${(s.wallMedianMs[v] / 1000).toFixed(1)} s`,
          color: COLORS[v],
        })),
        reference: {
          value: s.lowerBoundMs / 1000,
          label: `lower bound ${(s.lowerBoundMs / 1000).toFixed(1)} s`,
        },
      });
    }
    panels.push({
      title: 'ssh connections per host per deploy',
      bars: VARIANTS.map((v) => ({
        label: shortLabel(v),
        value: f.connectionsPerHost[v],
        text: f.connectionsPerHost[v].toFixed(2),
        color: COLORS[v],
      })),
      reference: { value: 1, label: 'one per host' },
    });
  }
  if (r.scale) {
    panels.push({
      title: 'Planning time by inventory size (ms)',
      bars: r.scale.rows.map((row) => ({
        label: `${row.n / 1000}k instances\n(CLI ${(row.cliBuildMs / 1000).toFixed(2)} s)`,
        value: row.planMs,
        text: `${row.planMs.toFixed(0)} ms`,
        color: '#3b6fb5',
      })),
      reference: { value: 300, label: 'goal at 10k: 300 ms' },
    });
  }
  const cols = 2;
  const rows = Math.max(1, Math.ceil(panels.length / cols));
  const width = cols * W + (cols + 1) * 10;
  const height = rows * H + (rows + 1) * 10 + 24;
  const body = panels.map((p, i) =>
    panel(p, 10 + (i % cols) * (W + 10), 34 + Math.floor(i / cols) * (H + 10)),
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#f6f6f6"/>`,
    `<text x="10" y="22" font-size="13">${esc(`nix-hive bench, ${r.startedAt.slice(0, 10)}: ${r.machine.cpus} CPUs, ${r.machine.model}`)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
