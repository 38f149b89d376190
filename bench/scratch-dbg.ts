import path from 'node:path';
import { prepare, withFleet } from './fleet-bench.ts';
import { cliEnv, runCli } from './variants.ts';
const nixEnv = {
  NIX_CONFIG: 'substituters =\nsandbox = false\nbuild-users-group =\nconnect-timeout = 5\n',
  NIX_REMOTE: 'local',
};
const p = await prepare('/tmp/bscratch/d2', { internal: 16, payload: '20M', payloadPaths: 8 }, nixEnv);
await withFleet(p, 100, async (fleet, configFile, stateFile) => {
  const env = await cliEnv(fleet, path.join(path.dirname(configFile), 'home'));
  const t0 = performance.now();
  const r = await runCli(['deploy', '-c', configFile, '--json', '--state', stateFile], env);
  console.log('wall', performance.now() - t0, 'report', r.report!.durationMs);
  const evs = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{"kind":"step-'))
    .map((l) => JSON.parse(l));
  const t = new Map<string, number>();
  let i = 0;
  for (const e of evs) {
    i++;
    if (e.kind === 'step-start') t.set(e.step, i);
  }
  for (const s of r.report!.steps) console.log(s.id.padEnd(24), (s.durationMs / 1000).toFixed(2));
});
