// Import at scale: a `terraform output -json` file of 5,000 instances loaded into a hive the way loadHive
// does it (read, recognise the format, unwrap, schema and semantic checks, resolve), timed cold: the first
// call in the process, so compiling the schema counts. Called by bench/run.ts.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyzeHive } from '../lib/inventory/resolve/resolve.ts';
import type { HiveConfig } from '../lib/inventory/types.ts';

/** `terraform output -json` for `count` web instances behind one gateway, plus outputs that are not instances. */
export function terraformOutput(count: number): string {
  const web = Array.from({ length: count }, (_, i) => ({
    name: `www-${i}`,
    address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    system: 'www',
    via: 'gw',
    store: 'gw',
    tags: ['web', `rack-${i % 40}`],
  }));
  return JSON.stringify({
    gw: { sensitive: false, type: ['object', {}], value: { address: '203.0.113.1', system: 'gate' } },
    web: { sensitive: false, type: ['list', ['object', {}]], value: web },
    vpc_id: { sensitive: false, type: 'string', value: 'vpc-0123' },
    db_password: { sensitive: true, type: 'string', value: 'not-shown' },
  });
}

export async function benchImport(count = 5000): Promise<{ instances: number; ms: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nix-hive-bench-import-'));
  try {
    mkdirSync(path.join(dir, 'inventory'));
    writeFileSync(path.join(dir, 'inventory', 'web.json'), terraformOutput(count));
    const config: HiveConfig = {
      signingKey: './hive.sec',
      systems: { www: { modules: ['./www.nix'] }, gate: { modules: ['./gate.nix'] } },
      inventory: ['inventory/*.json'],
    };
    const t0 = performance.now();
    const { hive, problems } = analyzeHive(config, path.join(dir, 'hive.config.ts'));
    const ms = performance.now() - t0;
    if (problems.length > 0)
      throw new Error(`import problems: ${problems[0]!.path}: ${problems[0]!.message}`);
    return { instances: Object.keys(hive.instances).length, ms: Math.round(ms * 10) / 10 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
