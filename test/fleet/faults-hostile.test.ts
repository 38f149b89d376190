// Issue 9, item 8 on the real fleet: hostile strings travel as data. A module whose file name is full of
// shell syntax (`$(…)`, backticks, `;`, quotes, spaces) is built and deployed, and `run` passes a command
// whose words are shell syntax to the host literally, through the one quoting function. Every would-be
// injection tries to create a marker in $HOME (the deployer's and the host's); none may appear.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './harness/fleet.ts';
import { useFleet } from './support/use-fleet.ts';
import { cli, reportOf, systemLinks } from './support/seed-fleet.ts';
import { stubModule, writeStubHive } from './support/faults.ts';

let fleet: Fleet;
let env: Record<string, string>;
let dir: string;

const MODULE = `m $(cd;touch hostile-1) \`cd;touch hostile-2\` ;cd;touch hostile-3 "q" 's' -rf.nix`;

useFleet({ jump: 'both', a: 'internal' }, async (u) => {
  ({ fleet, env } = u);
  dir = await writeStubHive(fleet, path.join(fleet.dir, 'hive'), {
    modules: { gate: stubModule(), app: stubModule() },
    instances: {
      jump: { system: 'gate', host: 'jump' },
      a: { system: 'app', host: 'a', via: 'jump', tags: ['web'] },
    },
  });
  const configFile = path.join(dir, 'hive.config.json');
  const config = JSON.parse(await readFile(configFile, 'utf8'));
  config.systems.app.modules = [`./${MODULE}`];
  await writeFile(configFile, JSON.stringify(config, null, 2));
  await writeFile(path.join(dir, MODULE), stubModule({ extra: '  hive.payloadSeed = "hostile";' }));
});

/** Markers anywhere a shell would have run: the deployer's HOME, cwd and hive folder; the hosts' /root and /. */
async function markers(): Promise<string[]> {
  const found: string[] = [];
  for (const d of [env.HOME!, process.cwd(), dir, '/tmp', '/root']) {
    for (const f of await readdir(d).catch(() => [] as string[]))
      if (f.startsWith('hostile-')) found.push(path.join(d, f));
  }
  for (const h of Object.values(fleet.hosts)) {
    const r = await h.exec(['sh', '-c', 'ls -a /root / /tmp 2>/dev/null | grep "^hostile-" || true']);
    for (const f of r.stdout.split('\n').filter(Boolean)) found.push(`${h.name}:${f}`);
  }
  return found;
}

test('a module path full of shell syntax builds and deploys; nothing is executed', async () => {
  const r = await cli(['deploy', '-c', dir, '--json', 'jump', 'a'], env, 120_000);
  assert.equal(r.exitCode, 0, r.stderr + r.stdout.slice(-2000));
  const report = reportOf(r);
  const out = report.systems.app.outPath as string;
  assert.deepEqual(await systemLinks(fleet, 'a'), { current: out, profile: out });
  // The module was really used: its payload seed is in the system's evaluated config.
  const config = await fleet.hosts.a!.exec(['cat', `${out}/configuration.json`]);
  assert.match(config.stdout, /"payloadSeed":"hostile"/);
  assert.deepEqual(await markers(), []);
});

test('run passes shell syntax to the host as literal words', async () => {
  const words = [
    '; cd; touch hostile-4',
    '$(cd;touch hostile-5)',
    '`cd;touch hostile-6`',
    "it's",
    '"double"',
    'two  spaces',
    '-n',
    'line\nbreak',
    '$HOME',
    '*',
    '&& cd && touch hostile-7',
  ];
  const r = await cli(['run', '-c', dir, '--json', 'a', '--', 'printf', '[%s]\\n', ...words], env, 60_000);
  assert.equal(r.exitCode, 0, r.stderr);
  const record = JSON.parse(r.stdout.trim().split('\n')[0]!);
  assert.equal(record.instance, 'a');
  assert.equal(record.stdout, words.map((w) => `[${w}]\n`).join(''));
  assert.deepEqual(await markers(), []);
});

test('control: a marker made by a shell on purpose is found', async () => {
  const r = await cli(['run', '-c', dir, 'a', '--', 'sh', '-c', 'cd; touch hostile-control'], env, 60_000);
  assert.equal(r.exitCode, 0, r.stderr);
  try {
    assert.deepEqual(await markers(), ['a:hostile-control']);
  } finally {
    await fleet.hosts.a!.exec(['rm', '-f', '/root/hostile-control']);
  }
});
