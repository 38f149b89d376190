// A store that is not an instance: a file:// binary cache (as an s3:// or https:// cache would be).
// The closure is copied there once per system; the instances behind it substitute from it, checking
// the hive's signature, and nothing is pushed to them from the deployer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { STUB_NIXPKGS } from './harness/fleet.ts';
import { run } from './harness/proc.ts';
import { cli, EXAMPLE, hivePublicKey, reportOf, setNixConf, systemLinks } from './support/seed-fleet.ts';
import { useSeedFleet } from './support/use-fleet.ts';

let hiveDir: string;
let cache: string;

const seed = useSeedFleet({ wired: [] }, async () => {
  const { fleet } = seed;
  cache = path.join(fleet.dir, 'cache');
  await mkdir(cache);
  for (const h of ['www-1', 'www-2']) {
    await setNixConf(fleet, h, [
      `substituters = file://${cache}`,
      `trusted-public-keys = ${await hivePublicKey()}`,
      'require-sigs = true',
    ]);
  }
  hiveDir = path.join(fleet.dir, 'uri-hive');
  await mkdir(hiveDir);
  const host = (n: string) => ({ address: fleet.hosts[n]!.address, hostKeys: [fleet.hosts[n]!.hostKey] });
  const config = {
    paths: { nixpkgs: STUB_NIXPKGS },
    signingKey: path.join(EXAMPLE, 'keys', 'hive.sec'),
    defaults: { ssh: { IdentityFile: fleet.clientKey } },
    systems: {
      portico: { modules: [path.join(EXAMPLE, 'modules', 'portico.nix')] },
      www: { modules: [path.join(EXAMPLE, 'modules', 'www.nix')] },
    },
    instances: {
      portico: { system: 'portico', ...host('portico') },
      'www-1': { system: 'www', ...host('www-1'), via: 'portico', store: `file://${cache}` },
      'www-2': { system: 'www', ...host('www-2'), via: 'portico', store: `file://${cache}` },
    },
  };
  await writeFile(
    path.join(hiveDir, 'hive.config.ts'),
    `export default ${JSON.stringify(config, null, 2)};\n`,
  );
});

test('a file:// cache gets one copy per system; instances substitute from it', async () => {
  const r = await cli(['deploy', '-c', hiveDir, '--json', 'www-*'], seed.env);
  assert.equal(r.exitCode, 0, r.stderr + r.stdout.slice(-3000));
  const report = reportOf(r);
  const www = report.systems.www.outPath as string;

  const copies = (await seed.calls()).filter((c) => c.startsWith('nix ') && c.includes(' copy '));
  assert.equal(copies.filter((c) => c.includes(`--to file://${cache}`)).length, 1, copies.join('\n'));
  assert.equal(copies.filter((c) => c.includes('--to ssh://www-')).length, 2);

  // The cache holds a signed narinfo for every path of the closure.
  const closure = (await run(['nix-store', '-qR', www])).stdout.split('\n').filter(Boolean);
  const narinfos = (await readdir(cache)).filter((f) => f.endsWith('.narinfo'));
  assert.equal(narinfos.length, closure.length);
  const mine = await readFile(path.join(cache, `${path.basename(www).slice(0, 32)}.narinfo`), 'utf8');
  assert.match(mine, /^Sig: hive-demo-1:/m);

  for (const w of ['www-1', 'www-2']) {
    const log = await readFile(path.join(report.logDir, `${w}.log`), 'utf8');
    assert.match(log, new RegExp(`copying path '${www}' from 'file://${cache}'`));
    assert.equal((await systemLinks(seed.fleet, w)).current, www);
  }
});
