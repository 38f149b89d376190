// Runs many nix-hive commands in one node process through the compiled CLI, loaded as the bin loads it
// (bin/dist.mjs `loadRun`): for tests that check the bundle on many inputs without a node start (~1 s of CPU)
// for each. Reads a JSON array of { cwd, args } on stdin; writes a JSON array of { code, stdout, stderr }.
import { loadRun } from '../../bin/dist.mjs';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const jobs = JSON.parse(input);
const run = await loadRun();
const { write: out } = process.stdout;
const { write: err } = process.stderr;
const results = [];
for (const { cwd, args } of jobs) {
  let stdout = '';
  let stderr = '';
  process.chdir(cwd);
  process.exitCode = undefined;
  process.stdout.write = (chunk) => ((stdout += chunk), true);
  process.stderr.write = (chunk) => ((stderr += chunk), true);
  try {
    results.push({ code: await run(args), stdout, stderr });
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
process.exitCode = 0;
process.stdout.write(JSON.stringify(results));
