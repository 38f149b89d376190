// Shared glue for the thin zx task scripts: load the CLI exactly as the bin does (the compiled bundle,
// rebuilt when stale; see bin/dist.mjs) and run one nix-hive command with the script's own arguments.
import { fileURLToPath } from 'node:url';
import { loadRun } from '../bin/dist.mjs';

/** The arguments given after the task script's path (`npx zx tasks/deploy.mjs portico '*'`). */
export function scriptArgs(scriptUrl) {
  const script = fileURLToPath(scriptUrl);
  const i = process.argv.findIndex((a) => a === script || a.endsWith(script.split('/').slice(-2).join('/')));
  return i >= 0 ? process.argv.slice(i + 1) : process.argv.slice(2);
}

/** Run `nix-hive <command> …args`; the CLI's `run` sets the exit code, as for the bin. */
export async function runCommand(command, scriptUrl) {
  const run = await loadRun();
  await run([command, ...scriptArgs(scriptUrl)]);
}
