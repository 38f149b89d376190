// A node:test reporter that prints how long each test file took (its whole process, hooks and start-up
// included), slowest first, once the run ends: the fleet runner adds it beside the spec reporter.
import os from 'node:os';

export default async function* fileTimes(source) {
  const files = new Map();
  for await (const event of source) {
    const d = event.data;
    // A file's own record: nesting 0, named after its path.
    if (event.type === 'test:complete' && d?.file && d.name === d.file && d.nesting === 0) {
      files.set(d.file, { ms: d.details?.duration_ms ?? 0, ok: d.details?.passed !== false });
    }
  }
  const rows = [...files].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((s, [, f]) => s + f.ms, 0);
  yield `\nper file (${rows.length} files, ${(total / 1000).toFixed(1)} s summed; load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}):\n`;
  for (const [file, f] of rows) {
    yield `${(f.ms / 1000).toFixed(1).padStart(7)} s ${f.ok ? ' ' : '✖'} ${file.replace(`${process.cwd()}/`, '')}\n`;
  }
}
