// The three ways of deploying the bench hive that the fleet sections compare, each measured the same way
// (bytes off the deployer's uplink counters, wall time, ssh connections from the hosts' sshd logs):
// - nix-hive: the real CLI (`deploy --json`), real nix and ssh;
// - "sequential": for each host, plain `nix copy --to ssh://host` from the deployer, then activate over ssh;
// - "parallel direct": Colmena's default, 10 hosts at once, each closure pushed from the deployer.
// The baselines use the fleet's plain ssh_config (ProxyJump through the jump host, no multiplexing).
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deployerEnv, sshConfigText, type Fleet } from '../test/fleet/harness/fleet.ts';
import { run } from '../test/fleet/harness/proc.ts';
import { quoteArgv } from '../lib/ssh/quote.ts';
import { JUMP } from './bench-hive.ts';

export const BIN = fileURLToPath(new URL('../bin/nix-hive.mjs', import.meta.url));
const PROFILE = '/nix/var/nix/profiles/system';

export type VariantName = 'nix-hive' | 'sequential' | 'parallel';
export const VARIANTS: VariantName[] = ['nix-hive', 'sequential', 'parallel'];
export const VARIANT_LABEL: Record<VariantName, string> = {
  'nix-hive': 'nix-hive',
  sequential: 'A: sequential push',
  parallel: 'B: parallel direct (10)',
};

/** What each host should run after a deploy: instance name → system out path. */
export type Targets = Array<{ host: string; outPath: string }>;

export interface Measurement {
  variant: VariantName;
  /** Bytes the deployer sent / received on its uplink during the deploy. */
  txBytes: number;
  rxBytes: number;
  /** Bytes the hosts put on the internal network (substitution from the jump host, ProxyJump relays). */
  internalTxBytes: number;
  wallMs: number;
  /** New TCP connections each host accepted from the deployer's side (directly or relayed by the jump host). */
  connections: Record<string, number>;
  /** Connections the jump host accepted from the instances behind it (substitution), not from the deployer. */
  substituterConnections: number;
  /** How long each activation took (as the variant measures it). */
  activationMs: number[];
  /** Store paths nix-hive's logs say were copied (`copying path …`), to the jump host and behind it. */
  copiedPaths?: number;
}

export interface DeployOutcome {
  activationMs: number[];
  copiedPaths?: number;
}

/** Each host's accepted connections from the deployer's side: the jump host's from the deployer, others' from the jump. */
async function connectionCounts(
  fleet: Fleet,
): Promise<{ byHost: Record<string, number>; fromInside: number }> {
  const jump = fleet.hosts[JUMP]!;
  const byHost: Record<string, number> = {};
  for (const h of Object.values(fleet.hosts)) {
    byHost[h.name] = await h.connections(h.name === JUMP ? fleet.deployerAddress : jump.internalAddress);
  }
  const all = await jump.connections();
  return { byHost, fromInside: all - byHost[JUMP]! };
}

/** Measures one deploy: uplink counters and sshd logs before and after, wall time around `fn`. */
export async function measure(
  fleet: Fleet,
  variant: VariantName,
  fn: () => Promise<DeployOutcome>,
): Promise<Measurement> {
  const bytes0 = await fleet.uplinkBytes();
  const internal0 = await fleet.internalBytes();
  const conns0 = await connectionCounts(fleet);
  const t0 = performance.now();
  const outcome = await fn();
  const wallMs = performance.now() - t0;
  const bytes1 = await fleet.uplinkBytes();
  const internal1 = await fleet.internalBytes();
  const conns1 = await connectionCounts(fleet);
  const connections: Record<string, number> = {};
  for (const [h, n] of Object.entries(conns1.byHost)) connections[h] = n - (conns0.byHost[h] ?? 0);
  return {
    variant,
    txBytes: bytes1.tx - bytes0.tx,
    rxBytes: bytes1.rx - bytes0.rx,
    internalTxBytes: internal1.tx - internal0.tx,
    wallMs,
    connections,
    substituterConnections: conns1.fromInside - conns0.fromInside,
    ...outcome,
  };
}

/** Checks every host runs its system now (/run/current-system); throws naming the first that does not. */
export async function verifyDeployed(fleet: Fleet, targets: Targets, variant: string): Promise<void> {
  for (const t of targets) {
    const r = await fleet.hosts[t.host]!.exec(['readlink', '-f', '/run/current-system']);
    if (r.stdout.trim() !== t.outPath)
      throw new Error(`${variant}: ${t.host} runs ${r.stdout.trim() || 'nothing'}, not ${t.outPath}`);
  }
}

// ---- nix-hive ----

export interface HiveRun {
  exitCode: number;
  report: Record<string, any> | undefined;
  stdout: string;
  stderr: string;
}

/** The environment the nix-hive CLI runs with: the fleet's nix settings and a private HOME. */
export async function cliEnv(fleet: Fleet, home: string): Promise<Record<string, string>> {
  await mkdir(home, { recursive: true });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return { ...env, ...fleet.nixEnv(), HOME: home };
}

export async function runCli(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 600_000,
): Promise<HiveRun> {
  const r = await run([process.execPath, BIN, ...args], { env, timeoutMs });
  let report: Record<string, any> | undefined;
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{"kind":"report"')) continue;
    report = (JSON.parse(line) as { report: Record<string, any> }).report;
  }
  return { ...r, report };
}

/** `nix-hive deploy --json` of every instance; the activation steps' durations and the paths copied. */
export async function deployNixHive(
  fleet: Fleet,
  configFile: string,
  stateFile: string,
  extra: string[] = [],
): Promise<DeployOutcome> {
  const env = await cliEnv(fleet, path.join(path.dirname(configFile), 'home'));
  const r = await runCli(['deploy', '-c', configFile, '--json', '--state', stateFile, ...extra], env);
  if (r.exitCode !== 0 || !r.report?.ok) {
    const failed = (r.report?.instances ?? []).filter((i: any) => i.outcome !== 'ok');
    throw new Error(
      `nix-hive deploy failed (exit ${r.exitCode}): ${JSON.stringify(failed.slice(0, 3))}\n${r.stderr.slice(-2000)}`,
    );
  }
  let copiedPaths = 0;
  const logDir = r.report.logDir as string;
  for (const f of await readdir(logDir)) {
    copiedPaths += (await readFile(path.join(logDir, f), 'utf8')).match(/^copying path /gm)?.length ?? 0;
  }
  const activationMs = (r.report.steps as Array<{ kind: string; durationMs: number }>)
    .filter((s) => s.kind === 'activate')
    .map((s) => s.durationMs);
  return { activationMs, copiedPaths };
}

// ---- the baselines: plain nix copy and ssh ----

async function must(argv: string[], env: Record<string, string>, what: string): Promise<void> {
  const r = await run(argv, { env, timeoutMs: 600_000 });
  if (r.exitCode !== 0)
    throw new Error(`${what} exited ${r.exitCode}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
}

/**
 * The baselines' ssh_config: the fleet's plain one (ProxyJump, pinned keys, no multiplexing) with a
 * ConnectTimeout of 60 s instead of 5: with 10 pushes saturating a shaped uplink, a new connection's
 * banner exchange can take longer than 5 s, and a baseline must not fail for the harness's impatience.
 */
export async function baselineSshConfig(fleet: Fleet): Promise<string> {
  const file = path.join(fleet.dir, 'baseline_ssh_config');
  await writeFile(file, sshConfigText(fleet).replace(/ConnectTimeout \d+/, 'ConnectTimeout 60'));
  return file;
}

/** Where a baseline's steps went: host, step (`copy`/`activate`), start and end in ms (performance.now()). */
export type PhaseRecorder = (host: string, step: 'copy' | 'activate', startMs: number, endMs: number) => void;

/** Push one host's closure from the deployer, then activate it over ssh; returns the activation's time. */
async function pushThenActivate(
  fleet: Fleet,
  sshConfig: string,
  t: { host: string; outPath: string },
  record?: PhaseRecorder,
): Promise<number> {
  const env = { ...deployerEnv(fleet), NIX_SSHOPTS: `-F ${sshConfig}` };

  const copy = [
    'nix',
    '--extra-experimental-features',
    'nix-command',
    'copy',
    '--to',
    `ssh://${t.host}`,
    t.outPath,
  ];
  const c0 = performance.now();
  await must(copy, env, `nix copy to ${t.host}`);
  record?.(t.host, 'copy', c0, performance.now());
  const activate =
    `${quoteArgv(['nix-env', '-p', PROFILE, '--set', t.outPath])} && ` +
    quoteArgv([`${t.outPath}/bin/switch-to-configuration`, 'switch']);
  const t0 = performance.now();
  await must(['ssh', '-F', sshConfig, t.host, '--', activate], env, `activation on ${t.host}`);
  record?.(t.host, 'activate', t0, performance.now());
  return performance.now() - t0;
}

/** Baseline A: one host after the other. */
export async function deploySequential(fleet: Fleet, targets: Targets): Promise<DeployOutcome> {
  const sshConfig = await baselineSshConfig(fleet);
  const out: number[] = [];
  for (const t of targets) out.push(await pushThenActivate(fleet, sshConfig, t));
  return { activationMs: out };
}

/** Baseline B: `parallel` hosts at once (Colmena's default is 10), each pushed from the deployer. */
export async function deployParallel(
  fleet: Fleet,
  targets: Targets,
  parallel = 10,
  record?: PhaseRecorder,
): Promise<DeployOutcome> {
  const sshConfig = await baselineSshConfig(fleet);
  const out: number[] = [];
  const queue = [...targets];
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift())
      out.push(await pushThenActivate(fleet, sshConfig, t, record));
  };
  await Promise.all(Array.from({ length: Math.min(parallel, targets.length) }, worker));
  return { activationMs: out };
}
