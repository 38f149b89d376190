#!/usr/bin/env zx
// `just demo-down`: tear down the demo fleet that `just demo` recorded in example/.demo/ (its processes,
// namespaces, uplink and folder), then remove example/.demo/ itself.
import { register } from 'tsx/esm/api';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

register();

const repo = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const demoDir = `${repo}/example/.demo`;
const statePath = `${demoDir}/state.json`;

if (!existsSync(statePath)) {
  console.log('demo-down: no demo fleet recorded (example/.demo/state.json is missing); nothing to do');
  process.exit(0);
}
if (process.getuid?.() !== 0) {
  console.error('demo-down: tearing the demo fleet down needs root; run `sudo just demo-down`');
  process.exit(1);
}

const state = JSON.parse(await readFile(statePath, 'utf8'));
if (existsSync(`${state.dir}/leftovers.json`)) {
  const { disposeRecorded } = await import('../test/fleet/harness/fleet.ts');
  await disposeRecorded(state.dir);
  console.log(
    `demo-down: fleet ${state.runId} stopped; its namespaces, uplink ${state.uplink} and ${state.dir} are gone`,
  );
} else {
  console.log(`demo-down: ${state.dir} is already gone`);
}
await rm(demoDir, { recursive: true, force: true });
console.log('demo-down: removed example/.demo/');
