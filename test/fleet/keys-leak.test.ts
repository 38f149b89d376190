// Issue 13's "never leaked" and "never partial" on the real fleet. A multi-megabyte key carrying a unique
// marker is uploaded while (1) `ps -eo args` is sampled in a tight loop on the deployer and inside the host,
// and (2) a watcher on the host reads the key's destination over and over. Afterwards the marker is searched
// for in the deployer's logs, hive.state, --json output, plan output and temp folders, and in the host's
// /nix/store: it is found only in the destination file. The watcher never saw the key partial or with a
// wrong owner or mode, neither on the first upload nor when it was replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Fleet, FleetHost } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { run } from './harness/proc.ts';
import { BIN, cli } from './support/seed-fleet.ts';
import { stubModule } from './support/faults.ts';
import { writeKeysHive } from './support/keys-hive.ts';

const SIZE = 6 * 1024 * 1024;
const DEST = '/run/keys/big';
// Random per run; this process holds it only in memory until the end.
const MARKER = `NHMARK${randomBytes(12).toString('hex')}`;

let fleet: Fleet;
let env: Record<string, string>;
let dir: string;

/** Writes the key's source: base64 of (marker + random bytes + marker); the key command decodes it. */
async function writeSource(): Promise<{ sum: string; size: number }> {
  const body = Buffer.concat([Buffer.from(MARKER), randomBytes(SIZE), Buffer.from(MARKER)]);
  await writeFile(path.join(dir, 'big.b64'), body.toString('base64'));
  return { sum: createHash('sha256').update(body).digest('hex'), size: body.length };
}

useFleet({ a: 'public' }, async (u) => {
  ({ fleet, env } = u);
  await mkdir(path.join(env.HOME!, '.ssh'), { recursive: true, mode: 0o700 });
  dir = path.join(fleet.dir, 'hive');
  await writeKeysHive(fleet, dir, {
    modules: { small: stubModule() },
    instances: {
      a: {
        system: 'small',
        host: 'a',
        keys: {
          big: { command: ['base64', '-d', 'big.b64'], user: 'nobody', group: 'nogroup', mode: '0640' },
        },
      },
    },
  });
});

/** `ps -eo args` in a loop on the deployer: counts samples showing the upload, and any line with the marker. */
function sampleDeployer() {
  const child = spawn('sh', ['-c', 'while :; do ps -eo args; echo @@sample; done'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let carry = '';
  let uploads = 0;
  let samples = 0;
  const leaks: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    const text = carry + chunk.toString('latin1');
    const lines = text.split('\n');
    carry = lines.pop() ?? '';
    for (const l of lines) {
      if (l === '@@sample') samples++;
      if (l.includes(MARKER)) leaks.push(l);
      if (l.includes('nix-hive-keys')) uploads++;
    }
  });
  return {
    stop: async () => {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
      return { uploads, samples, leaks };
    },
  };
}

/** The same inside the host (its namespaces, through nsenter), until a stop file appears. */
function sampleHost(host: FleetHost) {
  const done = host.exec([
    'sh',
    '-c',
    'while [ ! -e /run/stop-sampling ]; do ps -eo args; echo @@sample; done; rm -f /run/stop-sampling',
  ]);
  return {
    stop: async () => {
      await host.exec(['touch', '/run/stop-sampling']);
      const out = (await done).stdout.split('\n');
      return {
        samples: out.filter((l) => l === '@@sample').length,
        uploads: out.filter((l) => l.includes('nix-hive-keys')).length,
        leaks: out.filter((l) => l.includes(MARKER)),
      };
    },
  };
}

/** Reads the destination again and again on the host: mode, owner, group, size and checksum of one open file. */
function watch(host: FleetHost) {
  const script = `while [ ! -e /run/stop-watch ]; do
  { s=$(stat -L -c '%a %U %G %s' /dev/stdin) && h=$(sha256sum | cut -c1-64) && echo "$s $h"; } <${DEST} 2>/dev/null || echo absent
done; rm -f /run/stop-watch`;
  const done = host.exec(['sh', '-c', script]);
  return {
    stop: async () => {
      await host.exec(['touch', '/run/stop-watch']);
      return (await done).stdout.split('\n').filter(Boolean);
    },
  };
}

async function deployWatched(expected: Array<{ sum: string; size: number }>) {
  const a = fleet.hosts.a!;
  const watcher = watch(a);
  const deployer = sampleDeployer();
  const inHost = sampleHost(a);
  await new Promise((r) => setTimeout(r, 300));
  const r = await cli(['deploy', '-c', dir, '--json', 'a'], env);
  const seen = await watcher.stop();
  const psHere = await deployer.stop();
  const psThere = await inHost.stop();
  assert.equal(r.exitCode, 0, r.stderr);
  const ok = new Set(expected.map((e) => `640 nobody nogroup ${e.size} ${e.sum}`));
  const bad = seen.filter((l) => l !== 'absent' && !ok.has(l));
  assert.deepEqual(bad, [], 'the watcher saw the key partial or with a wrong owner or mode');
  assert.ok(seen.length > 10, `the watcher looked ${seen.length} times`);
  assert.equal(seen.at(-1), `640 nobody nogroup ${expected.at(-1)!.size} ${expected.at(-1)!.sum}`);
  // Both samplers never saw the marker, and caught the upload itself (so they looked during it).
  assert.deepEqual(psHere.leaks, [], "the marker in the deployer's ps");
  assert.deepEqual(psThere.leaks, [], "the marker in the host's ps");
  assert.ok(psHere.uploads > 0, `the deployer's ps never showed the upload (${psHere.samples} samples)`);
  assert.ok(psThere.uploads > 0, `the host's ps never showed the upload (${psThere.samples} samples)`);
  console.log(
    `watcher: ${seen.length} reads; ps samples: deployer ${psHere.samples} (${psHere.uploads} upload lines), host ${psThere.samples} (${psThere.uploads})`,
  );
  return r;
}

test('a multi-megabyte key is never seen partial or with a wrong mode, and its marker is found nowhere else', async () => {
  const v1 = await writeSource();
  const first = await deployWatched([v1]);
  // Replaced: readers see the old key or the new one, whole.
  const v2 = await writeSource();
  const second = await deployWatched([v1, v2]);

  const plan = await cli(['plan', '-c', dir, 'a'], env);
  const planJson = await run([process.execPath, BIN, 'plan', '-c', dir, '--json', 'a'], { env });
  assert.equal(planJson.exitCode, 0, planJson.stderr);
  const logDir = path.join(dir, '.hive', 'logs', second.events.find((e) => e.kind === 'plan')!.runId);
  const log = await readFile(path.join(logDir, 'a.log'), 'utf8');
  assert.match(log, /key big → \/run\/keys\/big: written/);
  const places: Array<[string, string]> = [
    ['deploy --json stdout and stderr', first.stdout + first.stderr + second.stdout + second.stderr],
    ['plan output', plan.stdout + plan.stderr + planJson.stdout],
    ['hive.state', await readFile(path.join(dir, 'hive.state'), 'utf8')],
    ["the run's log", log],
  ];
  for (const [what, text] of places) assert.ok(!text.includes(MARKER), `the marker is in the ${what}`);
  assert.match(plan.stdout, /keys → a \(pre-activation\): big → \/run\/keys\/big/);

  // Every file under the deployer's temp folder (the hive, its logs and state, the fleet's folders, among
  // them the host's /nix and /run): only the key's destination (the host's /run/keys/big) holds the marker,
  // and a control file written here on purpose (proof that the search finds it).
  const a = fleet.hosts.a!;
  const control = path.join(fleet.dir, 'control');
  await writeFile(control, `x${MARKER}x`);
  try {
    const expected = [control, path.join(a.dir, 'run', 'keys', 'big')].sort();
    assert.deepEqual(await grepMarker(os.tmpdir()), expected, 'files holding the marker');
  } finally {
    await rm(control);
  }
  // The same seen from inside the host: the destination holds it, its /nix/store does not.
  const onHost = await a.exec(['sh', '-c', 'grep -rlF -f - /nix/store /run/keys; true'], {
    input: `${MARKER}\n`,
  });
  assert.equal(onHost.stdout, '/run/keys/big\n', 'files on the host holding the marker');
});

/** Files under `root` holding the marker (grep reads the pattern from stdin, not argv). */
async function grepMarker(root: string): Promise<string[]> {
  const r = await run(['grep', '-rlsF', '-f', '-', root], { input: `${MARKER}\n` });
  return r.stdout.split('\n').filter(Boolean).sort();
}
