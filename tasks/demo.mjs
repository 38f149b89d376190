#!/usr/bin/env zx
// `just demo`: bring up a local demo fleet as root (portico as jump box and store host; www-1..3 and
// storage behind it, substituting from portico and trusting the example's demo key), write
// example/.demo/fleet.json for example/hive.config.ts (env NIX_HIVE_FLEET), and keep it running.
// The hosts behind portico log in to it to substitute with portico's substituter key only (their own
// ssh key is removed): a fresh pair per fleet, which the deploy delivers to them as a nix-hive key.
import { register } from 'tsx/esm/api';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile, copyFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

register();

const repo = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const demoDir = `${repo}/example/.demo`;
const statePath = `${demoDir}/state.json`;

if (process.getuid?.() !== 0) {
  console.error('demo: the demo fleet needs root (network and mount namespaces, sshd); run `sudo just demo`');
  process.exit(1);
}

// A fresh Debian machine may lack Nix, OpenSSH or iproute2: install what is missing.
const needs = {
  'nix-bin': '/usr/bin/nix-build',
  'openssh-server': '/usr/sbin/sshd',
  iproute2: '/usr/sbin/ip',
};
const missing = Object.entries(needs)
  .filter(([, bin]) => !existsSync(bin))
  .map(([pkg]) => pkg);
if (missing.length > 0) {
  console.log(`demo: installing ${missing.join(', ')} with apt-get`);
  await $`apt-get update -q`;
  await $`DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${missing}`;
}

let up;
if (existsSync(statePath)) {
  const state = JSON.parse(await readFile(statePath, 'utf8'));
  const fleetJson = `${demoDir}/fleet.json`;
  const wired = existsSync(fleetJson) && JSON.parse(await readFile(fleetJson, 'utf8')).substituterKey;
  if (existsSync(state.dir) && state.nixEnv && wired) {
    console.log(`demo: the demo fleet ${state.runId} is already up (${state.dir}); deploying to it again`);
    up = state;
  } else if (existsSync(state.dir)) {
    // A fleet from an older demo (no nix settings recorded, or no substituter key): replace it.
    const { disposeRecorded } = await import('../test/fleet/harness/fleet.ts');
    await disposeRecorded(state.dir);
  }
}
if (!up) up = await startDemoFleet();
await deployExample(up);

/** Starts the fleet (kept running after this script) and records it in example/.demo/state.json. */
async function startDemoFleet() {
  const { startFleet } = await import('../test/fleet/harness/fleet.ts');
  const hivePub = (await readFile(`${repo}/example/keys/hive.pub`, 'utf8')).trim();
  const behindPortico = (h) =>
    [
      `substituters = ssh://root@${h.portico.internalAddress}?ssh-key=/etc/nix/portico-substituter`,
      `trusted-public-keys = ${hivePub}`,
      'require-sigs = true',
    ].join('\n');

  const started = Date.now();
  const fleet = await startFleet({
    persist: true,
    hosts: [
      { name: 'portico', network: 'both', nixConf: `trusted-public-keys = ${hivePub}` },
      ...['www-1', 'www-2', 'www-3', 'storage'].map((name) => ({
        name,
        network: 'internal',
        nixConf: behindPortico,
      })),
    ],
  });

  await mkdir(demoDir, { recursive: true });
  await fleet.writeInventoryJson(`${demoDir}/fleet.json`);
  // portico's substituter key: portico authorizes it for `nix-store --serve` only; the hosts behind it
  // lose their own ssh key, so they can substitute only once the deploy has delivered this one.
  const { addPorticoSubstituterKey } = await import('../test/fleet/support/substituter-key.ts');
  await addPorticoSubstituterKey(fleet, `${demoDir}/fleet.json`, demoDir);
  for (const name of ['www-1', 'www-2', 'www-3', 'storage'])
    await rm(`${fleet.hosts[name].dir}/root/.ssh/id_ed25519`, { force: true });
  await copyFile(fleet.sshConfig, `${demoDir}/ssh_config`);
  const state = {
    runId: fleet.runId,
    dir: fleet.dir,
    uplink: fleet.uplink,
    nixEnv: fleet.nixEnv(),
    startedAt: new Date().toISOString(),
  };
  await writeFile(statePath, `${JSON.stringify(state, null, 2)}\n`);

  const rel = (p) => p.replace(`${repo}/`, '');
  console.log(
    `demo: fleet ${fleet.runId} is up in ${((Date.now() - started) / 1000).toFixed(1)} s (state in ${rel(fleet.dir)})`,
  );
  console.log(`  deployer ${fleet.deployerAddress} on ${fleet.uplink}`);
  for (const h of Object.values(fleet.hosts)) {
    const where = h.publicAddress ? `public ${h.publicAddress}` : `internal ${h.internalAddress}`;
    const leg =
      h.publicAddress && h.internalAddress ? `, internal ${h.internalAddress} (jump box, store host)` : '';
    const via = h.publicAddress ? '' : ', reached through portico, substitutes from it';
    console.log(`  ${h.name.padEnd(8)} ${where}${leg}${via}`);
  }
  console.log(
    `  wrote ${rel(demoDir)}/fleet.json (addresses, pinned host keys, stub nixpkgs, client key, portico's substituter key)`,
  );
  console.log(`  try:  ssh -F ${rel(demoDir)}/ssh_config www-1 hostname`);
  console.log(`  use:  NIX_HIVE_FLEET=${rel(demoDir)}/fleet.json npx nix-hive build -c example`);
  return state;
}

/** The main job: a real deploy of example/ to the demo fleet, through the same CLI users run. */
async function deployExample(state) {
  console.log(`\ndemo: npx nix-hive deploy -c example portico '*'\n`);
  const r = spawnSync(
    process.execPath,
    [`${repo}/bin/nix-hive.mjs`, 'deploy', '-c', `${repo}/example`, 'portico', '*'],
    {
      stdio: 'inherit',
      env: { ...process.env, ...state.nixEnv, NIX_HIVE_FLEET: `${demoDir}/fleet.json` },
    },
  );
  const rel = (p) => p.replace(`${repo}/`, '');
  console.log(
    `\ndemo: the fleet stays up: \`NIX_HIVE_FLEET=${rel(demoDir)}/fleet.json npx nix-hive status -c example\`, ` +
      `\`… ssh -c example www-1\`, \`just demo\` to deploy again, \`just demo-down\` to remove it.`,
  );
  process.exitCode = r.status ?? 1;
}
