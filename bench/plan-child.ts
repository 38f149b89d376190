// Child process of the planning section: resolves and plans one synthetic inventory in-process and prints
// one JSON line (the best time of `reps`, as the machine may be shared, and this process's peak RSS). `node --import tsx plan-child.ts <n> <reps>`
import { resolveHive, selectTargets } from '../lib/inventory/index.ts';
import { planDeploy } from '../lib/plan/plan.ts';
import { SCALE_SHAPE, syntheticConfig } from './synthetic.ts';

const n = Number(process.argv[2]);
const reps = Number(process.argv[3] ?? 5);
const config = syntheticConfig({ instances: n, ...SCALE_SHAPE });
const resolveMs: number[] = [];
const selectMs: number[] = [];
const planMs: number[] = [];
let steps = 0;
// The first round warms up the JIT; it is not counted.
for (let r = 0; r <= reps; r++) {
  let t = performance.now();
  const hive = resolveHive(config, '/nonexistent/hive.config.json');
  const resolved = performance.now() - t;
  t = performance.now();
  const targets = selectTargets(hive, []);
  const selected = performance.now() - t;
  t = performance.now();
  const plan = planDeploy(hive, targets, {
    goal: 'switch',
    skip: { build: false, copy: false, activate: false },
  });
  const planned = performance.now() - t;
  steps = plan.steps.length;
  if (r === 0) continue;
  resolveMs.push(resolved);
  selectMs.push(selected);
  planMs.push(planned);
}
process.stdout.write(
  JSON.stringify({
    n,
    steps,
    resolveMs: Math.min(...resolveMs),
    selectMs: Math.min(...selectMs),
    planMs: Math.min(...planMs),
    maxRssKiB: process.resourceUsage().maxRSS,
  }) + '\n',
);
