// The compression section (issue 16): uplink bytes ÷ unique NAR bytes of a nix-hive deploy with `compress`
// at its default (`auto`: the deployer's legs compressed) and, side by side, with `compress: false`, on two
// closures: the stub's incompressible payload (seeded random bytes) and a compressible one made of real files
// of the build machine — ELF binaries and libraries (/usr/bin, /usr/lib/…) and text (/usr/share/doc, perl,
// python, headers) — the same size, over the same number of store paths. Each deploy on a fresh fleet.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CompressMode } from '../lib/inventory/types.ts';
import { JUMP, writeHiveConfig, writeHiveFiles, wwwNames, type HiveShape } from './bench-hive.ts';
import { uniqueClosure, type ClosureSize } from './closure.ts';
import { withFleet, type Prepared } from './fleet-bench.ts';
import { mib, ratio } from './stats.ts';
import {
  cliEnv,
  deployNixHive,
  measure,
  runCli,
  verifyDeployed,
  type Measurement,
  type Targets,
} from './variants.ts';
import type { Fleet } from '../test/fleet/harness/fleet.ts';

export type ClosureKind = 'incompressible' | 'compressible';

export interface CompressRun {
  kind: ClosureKind;
  unique: ClosureSize;
  /** By `compress` setting: `auto` (the default) and `false`. */
  deploys: Array<{ compress: CompressMode; m: Measurement }>;
}

export interface CompressBenchResults {
  internal: number;
  payload: string;
  runs: CompressRun[];
}

/** The www module of the compressible closure: `payloadPaths` store paths of machine files, half ELF, half text. */
export function machinePayloadModule(shape: HiveShape, kib: number): string {
  const perPath = Math.ceil(kib / shape.payloadPaths);
  return `# The bench web servers, compressible closure: ${shape.payloadPaths} store paths of real files of the build
# machine (every ${shape.payloadPaths}th of a sorted list each), half ELF binaries and libraries, half text.
{ pkgs, ... }:
let
  part = i: pkgs.runCommand "hive-machine-payload-\${toString i}-${perPath}k" {
    index = toString i; count = "${shape.payloadPaths}"; kib = "${perPath}";
  } ''
    mkdir -p "$out"
    take() {
      limit=$1; shift
      find "$@" -type f -size -8M 2>/dev/null \\
        | grep -Ev '[.](gz|xz|bz2|zst|lz4|zip|jar|png|jpg|jpeg|gif|pyc|mo|cache)$' \\
        | LC_ALL=C sort | awk -v n="$count" -v i="$index" '(NR - 1) % n == i' > list || true
      used=0
      while IFS= read -r f; do
        [ -r "$f" ] || continue
        size=$(stat -c %s "$f")
        [ "$size" -gt 0 ] || continue
        dest="$out/$(printf '%s' "$f" | tr / _)"
        if [ $((used + size)) -ge "$limit" ]; then head -c $((limit - used)) "$f" > "$dest"; break; fi
        cp "$f" "$dest" 2> /dev/null || continue
        used=$((used + size))
      done < list
    }
    half=$((kib * 512))
    take "$half" /usr/bin /usr/sbin /usr/libexec /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu
    take "$((kib * 1024 - half))" /usr/share/doc /usr/share/perl /usr/share/perl5 /usr/lib/python3 /usr/include
  '';
in {
  networking.hostName = "";
  hive.payloadSize = 0;
  environment.systemPackages = pkgs.lib.genList part ${shape.payloadPaths};
  system.stateVersion = "24.11";
}
`;
}

/** KiB of a size such as "20M" or "512K" (the stub's syntax). */
function kibOf(size: string): number {
  const m = /^(\d+)\s*([KkMm]?)/.exec(size);
  if (!m) throw new Error(`payload size ${size}: use 512K or 20M`);
  return Number(m[1]) * (/[Mm]/.test(m[2]!) ? 1024 : 1);
}

async function prepareKind(
  workDir: string,
  shape: HiveShape,
  kind: ClosureKind,
  nixEnv: Record<string, string>,
): Promise<Prepared> {
  const dir = path.join(workDir, `compress-${kind}`);
  const files = await writeHiveFiles(path.join(dir, 'hive'), shape);
  if (kind === 'compressible')
    await writeFile(files.modules.www, machinePayloadModule(shape, kibOf(shape.payload)));
  const config = await writeHiveConfig(files, path.join(dir, 'build'));
  const env = await cliEnv({ nixEnv: () => nixEnv } as Fleet, path.join(dir, 'home'));
  const r = await runCli(['build', '-c', config, '--no-state'], env);
  if (r.exitCode !== 0) throw new Error(`nix-hive build (${kind}) failed: ${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout) as { systems: Record<string, { outPath: string }> };
  const outPaths = { portico: out.systems.portico!.outPath, www: out.systems.www!.outPath };
  const targets: Targets = [
    { host: JUMP, outPath: outPaths.portico },
    ...wwwNames(shape).map((host) => ({ host, outPath: outPaths.www })),
  ];
  return {
    files,
    workDir: dir,
    outPaths,
    targets,
    unique: await uniqueClosure([outPaths.portico, outPaths.www], nixEnv),
    www: await uniqueClosure([outPaths.www], nixEnv),
  };
}

/** One nix-hive deploy on a fresh fleet with `compress` set in the hive. */
async function deployWith(p: Prepared, compress: CompressMode): Promise<Measurement> {
  return withFleet(p, undefined, async (fleet, configFile, stateFile) => {
    const config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
    await writeFile(configFile, `${JSON.stringify({ ...config, compress }, null, 2)}\n`);
    const m = await measure(fleet, 'nix-hive', () => deployNixHive(fleet, configFile, stateFile));
    await verifyDeployed(fleet, p.targets, `nix-hive (compress: ${compress})`);
    return m;
  });
}

export async function compressBench(
  workDir: string,
  shape: HiveShape,
  nixEnv: Record<string, string>,
  log: (line: string) => void,
): Promise<CompressBenchResults> {
  const runs: CompressRun[] = [];
  for (const kind of ['incompressible', 'compressible'] as const) {
    log(`  ${kind} closure: building…`);
    const p = await prepareKind(workDir, shape, kind, nixEnv);
    const deploys: CompressRun['deploys'] = [];
    for (const compress of ['auto', false] as const) {
      log(`  ${kind}, compress: ${compress}…`);
      const m = await deployWith(p, compress);
      log(`    ${m.txBytes} bytes up for ${p.unique.bytes} unique (${ratio(m.txBytes, p.unique.bytes)})`);
      deploys.push({ compress, m });
    }
    runs.push({ kind, unique: p.unique, deploys });
  }
  return { internal: shape.internal, payload: shape.payload, runs };
}

const upRatio = (run: CompressRun, compress: CompressMode) => {
  const d = run.deploys.find((x) => x.compress === compress);
  return d ? ratio(d.m.txBytes, run.unique.bytes) : 'n/a';
};

export function compressHeadlineRows(r: CompressBenchResults): string[][] {
  const goal: Record<ClosureKind, string> = { compressible: '≤ 0.5', incompressible: '≤ 1.05' };
  return r.runs.map((run) => [
    `uplink bytes ÷ unique NAR bytes with compression (auto), ${run.kind} closure; without`,
    `${upRatio(run, 'auto')}; ${upRatio(run, false)}`,
    goal[run.kind],
  ]);
}

export function compressSection(r: CompressBenchResults): string {
  const lines = [
    '## Compression on the uplink',
    '',
    `nix-hive deploys to 1 store host + ${r.internal} hosts on a fresh fleet each, once with \`compress\` at its default`,
    "(`auto`: the deployer's legs compressed — `Compression yes` on the ssh connection, `?compress=true` on the",
    'store URI) and once with `compress: false`. The compressible closure is real files of the build machine (ELF',
    'binaries and libraries, and text: docs, perl, python, headers); the incompressible one seeded random bytes.',
    '',
    '| closure | unique NAR bytes | uplink ÷ unique, compress auto | uplink ÷ unique, compress false | goal (auto) |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const run of r.runs)
    lines.push(
      `| ${run.kind} (${r.payload} payload) | ${mib(run.unique.bytes)} | **${upRatio(run, 'auto')}** | ` +
        `${upRatio(run, false)} | ${run.kind === 'compressible' ? '≤ 0.5' : '≤ 1.05'} |`,
    );
  lines.push('');
  return lines.join('\n');
}
