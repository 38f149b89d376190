// The keys section (issue 21, item 3): 200 keys on each of 4 hosts behind the jump host, side by side in one
// run on one fleet: `nix-hive upload-keys` (the real CLI: one ssh command per host, one remote script for
// all its keys) against one ssh per key (hosts in parallel, each host's keys one after another over the
// fleet's plain ssh_config: ProxyJump, no multiplexing, as a shell loop would). /run/keys is emptied before
// every variant, so each writes every key. Also the remote script alone on one host (no ssh): its time for
// all keys, and the processes it started.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startFleet, type Fleet } from '../test/fleet/harness/fleet.ts';
import { run } from '../test/fleet/harness/proc.ts';
import { keyStream, uploadKeysArgv } from '../lib/host/keys-script.ts';
import { cliEnv, runCli } from './variants.ts';
import { median, ratio, seconds } from './stats.ts';

export interface KeysBenchResults {
  hosts: number;
  keys: number;
  /** Wall time of each `upload-keys` run. */
  uploadMs: number[];
  /** Wall time of each one-ssh-per-key run. */
  perKeyMs: number[];
  /** The remote script alone on one host, every key written (ms), and the processes it started. */
  scriptMs: number;
  scriptProcesses: number;
  /** ssh connections of the one-ssh-per-key variant tried again after ssh itself failed (exit 255). */
  perKeyRetries: number;
}

const HOSTS = ['k1', 'k2', 'k3', 'k4'];

export async function keysBench(
  workDir: string,
  o: { keys: number; rounds: number; log: (line: string) => void },
): Promise<KeysBenchResults> {
  const fleet = await startFleet({
    hosts: [
      { name: 'portico', network: 'both' },
      ...HOSTS.map((name) => ({ name, network: 'internal' as const })),
    ],
  });
  try {
    const dir = path.join(workDir, 'keys');
    const contents = HOSTS.map(() => Array.from({ length: o.keys }, () => randomBytes(32).toString('hex')));
    const config = await writeKeysConfig(fleet, dir, contents);
    const env = await cliEnv(fleet, path.join(dir, 'home'));
    const empty = () => Promise.all(HOSTS.map((h) => fleet.hosts[h]!.exec(['sh', '-c', 'rm -rf /run/keys'])));
    const uploadMs: number[] = [];
    const perKeyMs: number[] = [];
    const retries = { n: 0 };
    for (let round = 0; round < o.rounds; round++) {
      await empty();
      const t0 = performance.now();
      const r = await runCli(['upload-keys', '-c', config, ...HOSTS], env);
      uploadMs.push(performance.now() - t0);
      if (r.exitCode !== 0) throw new Error(`upload-keys failed: ${r.stderr.slice(-2000)}`);
      await verify(fleet, contents);
      o.log(`   upload-keys: ${seconds(uploadMs.at(-1)!)}`);
      await empty();
      perKeyMs.push(await sshPerKey(fleet, contents, retries));
      await verify(fleet, contents);
      o.log(`   one ssh per key: ${seconds(perKeyMs.at(-1)!)} (${retries.n} connections tried again)`);
    }
    const script = await scriptAlone(fleet, contents[0]!);
    o.log(`   the script alone: ${seconds(script.ms)}, ${script.processes} processes`);
    return {
      hosts: HOSTS.length,
      keys: o.keys,
      uploadMs,
      perKeyMs,
      scriptMs: script.ms,
      scriptProcesses: script.processes,
      perKeyRetries: retries.n,
    };
  } finally {
    await fleet.dispose();
  }
}

async function writeKeysConfig(fleet: Fleet, dir: string, contents: string[][]): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'stub.nix'), '{ }\n');
  const ssh = { IdentityFile: fleet.clientKey, IdentitiesOnly: true };
  const instances: Record<string, unknown> = {
    portico: {
      system: 'stub',
      address: fleet.hosts.portico!.publicAddress,
      hostKeys: [fleet.hosts.portico!.hostKey],
      ssh,
    },
  };
  HOSTS.forEach((h, i) => {
    const keys: Record<string, unknown> = {};
    contents[i]!.forEach((text, k) => (keys[keyName(k)] = { text }));
    instances[h] = {
      system: 'stub',
      address: fleet.hosts[h]!.internalAddress,
      via: 'portico',
      hostKeys: [fleet.hosts[h]!.hostKey],
      ssh,
      keys,
    };
  });
  const file = path.join(dir, 'hive.config.json');
  await writeFile(
    file,
    JSON.stringify({ systems: { stub: { modules: ['./stub.nix'] } }, instances }, null, 2),
  );
  return file;
}

const keyName = (k: number) => `k${String(k).padStart(3, '0')}`;

/** Hosts in parallel; on each, every key through its own `ssh host 'cat > key'` (the content on stdin). */
async function sshPerKey(fleet: Fleet, contents: string[][], retries: { n: number }): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    HOSTS.map(async (h, i) => {
      for (const [k, text] of contents[i]!.entries()) {
        const dest = `/run/keys/${keyName(k)}`;
        // ssh's own failures (255: a connection timed out on a loaded machine) are tried again, as a
        // script would; the time of the failed attempt counts.
        let r;
        for (let attempt = 1; ; attempt++) {
          r = await run(
            [
              'ssh',
              '-F',
              fleet.sshConfig,
              '-o',
              'ConnectTimeout=30',
              h,
              `umask 077 && mkdir -p /run/keys && cat > ${dest}`,
            ],
            {
              input: text,
              timeoutMs: 60_000,
            },
          );
          if (r.exitCode !== 255 || attempt === 3) break;
          retries.n++;
        }
        if (r.exitCode !== 0) throw new Error(`ssh ${h} (${dest}): ${r.stderr.trim()}`);
      }
    }),
  );
  return performance.now() - t0;
}

async function verify(fleet: Fleet, contents: string[][]): Promise<void> {
  await Promise.all(
    HOSTS.map(async (h, i) => {
      const r = await fleet.hosts[h]!.exec(['sh', '-c', 'cat /run/keys/k*']);
      if (r.stdout !== contents[i]!.join('')) throw new Error(`keys bench: ${h} does not hold its keys`);
    }),
  );
}

/** The script run inside one host (nsenter, no ssh) on an empty /run/keys, every process start counted. */
async function scriptAlone(fleet: Fleet, texts: string[]): Promise<{ ms: number; processes: number }> {
  const host = fleet.hosts[HOSTS[0]!]!;
  await host.exec(['sh', '-c', 'rm -rf /run/keys']);
  // Hex text and tar headers: ASCII throughout, so the stream passes as a string unchanged.
  const input = keyStream(
    texts.map((t, k) => ({
      dest: `/run/keys/${keyName(k)}`,
      user: 'root',
      group: 'root',
      mode: '0600',
      content: Buffer.from(t),
    })),
  ).toString('latin1');
  const t0 = performance.now();
  const r = await host.exec(uploadKeysArgv(), { input });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`keys bench: the script failed: ${r.stderr}`);
  // The same again under strace, for the count of programs started (execve), when strace is there.
  await host.exec(['sh', '-c', 'rm -rf /run/keys']);
  const traced = await host.exec(
    ['strace', '-f', '-qq', '-e', 'trace=execve', '-o', '/run/keys-trace', ...uploadKeysArgv()],
    {
      input,
    },
  );
  const trace = await host.exec(['sh', '-c', 'grep -c "execve(" /run/keys-trace; rm -f /run/keys-trace']);
  const processes = traced.exitCode === 0 ? Number(trace.stdout.trim()) - 1 : NaN;
  return { ms, processes };
}

export function keysHeadlineRows(r: KeysBenchResults): string[][] {
  return [
    [
      `${r.keys} keys × ${r.hosts} hosts behind the jump host: upload-keys ÷ one ssh per key (wall time)`,
      ratio(median(r.uploadMs), median(r.perKeyMs)),
      '≤ 0.02',
    ],
  ];
}

export function keysSection(r: KeysBenchResults): string {
  return [
    '## Keys at scale',
    '',
    `${r.keys} keys on each of ${r.hosts} hosts behind the jump host, on one fleet, /run/keys emptied before each`,
    'variant: `nix-hive upload-keys` (the CLI from its start: one ssh command per host, one remote script for all',
    "of a host's keys) and one ssh per key (hosts in parallel, each host's keys one after another over the fleet's",
    `ssh_config: ProxyJump, no multiplexing; ${r.perKeyRetries} connections that ssh itself failed were tried again,`,
    'their time counted). Median of the rounds.',
    '',
    '| variant | wall time | ÷ one ssh per key | goal |',
    '| --- | --- | --- | --- |',
    `| nix-hive upload-keys | ${seconds(median(r.uploadMs))} | **${ratio(median(r.uploadMs), median(r.perKeyMs))}** | ≤ 0.02 |`,
    `| one ssh per key | ${seconds(median(r.perKeyMs))} | 1 | |`,
    '',
    `The remote script alone on one host (run inside it, no ssh), ${r.keys} keys written: ${seconds(r.scriptMs)},`,
    `${Number.isNaN(r.scriptProcesses) ? 'processes not counted (no strace)' : `${r.scriptProcesses} programs started (execve, strace)`}.`,
    '',
  ].join('\n');
}
