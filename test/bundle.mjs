// Compiles test files to JavaScript once per run (esbuild, ~0.3 s for the unit suite), so each test process
// starts as plain node instead of loading tsx and compiling the sources again (~0.2 s of CPU per file). One
// bundle per test file with the library code it imports (shared chunks; npm packages stay external, `nix-hive`
// is lib/index.ts as the package's exports say); inline source maps, so a failure's stack names the .ts lines.
// The files can be run by a few worker entries, each one process taking the next file from a shared queue.
// `import.meta.url`, `.dirname` and `.filename` keep naming each source file, so fixtures and lib/'s own files
// (schema, hooks) are found as under tsx. Configs a test loads (hive.config.ts) still go through tsx, on demand,
// as in the product.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const ownMetaPlugin = {
  name: 'nix-hive-test-own-meta',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.')) return undefined;
      const contents = source
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll('import.meta.dirname', JSON.stringify(path.dirname(args.path)))
        .replaceAll('import.meta.filename', JSON.stringify(args.path));
      return { contents, loader: 'ts' };
    });
  },
};

/**
 * Bundles `files` (paths relative to the package root) into a new folder under dist/ (inside the package, so
 * the bundles resolve node_modules as the sources do). Returns the folder (the caller removes it) and the
 * entries to run: with `workers`, that many worker entries (a node start per worker instead of per file)
 * sharing one queue of the files, heaviest first: each worker takes the next file nobody has taken and runs
 * its tests, in a suite named by the file, before it takes another, so the workers end together whatever the
 * files cost; `unran()` then names the files no worker took (none unless every worker died). Without
 * `workers`, one entry per file. On a compile error esbuild prints it, the folder is removed, and this throws.
 */
export async function bundleTests(files, { workers } = {}) {
  const { build } = await import('esbuild');
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
  mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
  const outdir = mkdtempSync(path.join(ROOT, 'dist', 'tests-'));
  const out = (f) => f.replace(/\.ts$/, '');
  const options = {
    absWorkingDir: ROOT,
    entryPoints: files.map((f) => ({ in: f, out: out(f) })),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external,
    alias: { [pkg.name]: pkg.exports['.'] },
    sourcemap: 'inline',
    logLevel: 'warning',
    plugins: [ownMetaPlugin],
  };
  try {
    await build(options);
  } catch (e) {
    rmSync(outdir, { recursive: true, force: true });
    throw e;
  }
  const bundles = files.map((f) => path.join(outdir, `${out(f)}.mjs`));
  if (!workers) return { outdir, files: bundles };
  const units = queue(files).map((unit) => unit.map((f) => ({ name: f, bundle: bundles[files.indexOf(f)] })));
  const claims = path.join(outdir, 'claims');
  mkdirSync(claims);
  const source = workerEntry(units, claims);
  const entries = Array.from({ length: Math.min(workers, units.length) }, (_, g) => {
    const entry = path.join(outdir, `worker-${g + 1}.mjs`);
    writeFileSync(entry, source);
    return entry;
  });
  const unran = () => {
    const taken = new Set(readdirSync(claims));
    return units.filter((_, i) => !taken.has(String(i))).flatMap((u) => u.map((f) => f.name));
  };
  return { outdir, files: entries, unran };
}

/**
 * The unit files that take longest, in seconds: CPU (own and their children's, each file bundled and run alone
 * on the 2-CPU machine at load ~4, less ~0.5 s for the node start every worker pays once; dist, cli-catalogue
 * and cli-failed less what their last cuts saved, measured side by side), or wall time for those that mostly
 * wait on the scripts they run (confirm, run-wrapper, detached, watchdog, timeout). The queue starts with
 * them, longest first, so the last files taken are short ones; the rest count as half a second. Only the
 * order depends on it.
 */
const HEAVY = {
  'test/unit/dist.test.ts': 5.2,
  'test/unit/cli-catalogue.test.ts': 3.6,
  'test/unit/inventory/define-hive.test.ts': 4.0,
  'test/unit/deploy/activate/confirm.test.ts': 4.0,
  'test/unit/entry-points.test.ts': 3.6,
  'test/unit/host/run-wrapper.test.ts': 3.2,
  'test/unit/inventory/build-output.test.ts': 3.0,
  'test/unit/nix/detached.test.ts': 3.0,
  'test/unit/nix/watchdog.test.ts': 3.0,
  'test/unit/inventory/load.test.ts': 2.1,
  'test/unit/inventory/scale.test.ts': 2.5,
  'test/unit/inventory/schema-types.test.ts': 2.3,
  'test/unit/inventory/select.test.ts': 1.9,
  'test/unit/host/keys-script.test.ts': 1.7,
  'test/unit/plan/plan.test.ts': 1.5,
  'test/unit/cli-failed.test.ts': 1.4,
  'test/unit/inventory/import/import-command.test.ts': 1.2,
  'test/unit/nix/eval-worker.test.ts': 1.0,
  'test/unit/host/timeout.test.ts': 1.0,
  'test/unit/keygen.test.ts': 0.7,
};
const weight = (f) => HEAVY[f] ?? 0.5;

/**
 * Files taken by one worker as a unit: they import the same costly module (typescript: ~1 s of CPU to load in
 * each process that does), so one worker loads it once.
 */
const TOGETHER = [['test/unit/inventory/define-hive.test.ts', 'test/unit/inventory/schema-types.test.ts']];

/** `files` in the order the workers take them: units (a file, or files that go together), heaviest first. */
function queue(files) {
  const units = TOGETHER.map((set) => set.filter((f) => files.includes(f))).filter((u) => u.length > 0);
  for (const f of [...files].sort()) if (!units.some((u) => u.includes(f))) units.push([f]);
  const unitWeight = (u) => u.reduce((sum, f) => sum + weight(f), 0);
  return units.sort((a, b) => unitWeight(b) - unitWeight(a));
}

/**
 * One worker process for many test files. It takes a unit by creating its claim file (`wx`: of the workers
 * trying at once, one succeeds), then runs each of its files as a suite named by the file that imports the
 * file's bundle: the suite collects the tests and hooks the file registers (node:test follows the import
 * through its async context), and a top-level `after` runs when that file's tests ended, as in a process of
 * its own. The worker waits for the suite's own last hook before it takes the next unit.
 */
function workerEntry(units, claims) {
  const queued = units.map((u) => u.map(({ name, bundle }) => ({ name, url: pathToFileURL(bundle).href })));
  return `import { closeSync, openSync } from 'node:fs';
import { after, describe } from 'node:test';
// esbuild keeps the working directory it was loaded in for its service: loaded by a test while it runs the CLI
// in a temp folder (since removed), a later build in this process could not start it.
await import('esbuild');
const units = ${JSON.stringify(queued)};
const claims = ${JSON.stringify(claims)};
function claim(i) {
  try {
    closeSync(openSync(claims + '/' + i, 'wx'));
    return true;
  } catch (e) {
    if (e.code === 'EEXIST') return false;
    throw e;
  }
}
for (const [i, unit] of units.entries()) {
  if (!claim(i)) continue;
  for (const { name, url } of unit) {
    let resolve;
    const ended = new Promise((r) => (resolve = r));
    describe(name, async () => {
      try {
        await import(url);
      } finally {
        after(resolve);
      }
    });
    await ended;
  }
}
`;
}
