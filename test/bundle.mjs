// Compiles test files to JavaScript once per run (esbuild, ~0.3 s for the unit suite), so each test process
// starts as plain node instead of loading tsx and compiling the sources again (~0.2 s of CPU per file). One
// bundle per test file with the library code it imports (shared chunks; npm packages stay external, `nix-hive`
// is lib/index.ts as the package's exports say); inline source maps, so a failure's stack names the .ts lines.
// The files can be dealt into a few group entries, each one process running its files one after the other.
// `import.meta.url`, `.dirname` and `.filename` keep naming each source file, so fixtures and lib/'s own files
// (schema, hooks) are found as under tsx. Configs a test loads (hive.config.ts) still go through tsx, on demand,
// as in the product.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
 * entries to run: with `groups`, the files are dealt (by weight) into that many entries, each importing its
 * files one after the other, each file's tests in a suite named by the file (a node start per group instead
 * of per file); without, one entry per file. On a compile error esbuild prints it, the folder is removed, and
 * this throws.
 */
export async function bundleTests(files, { groups } = {}) {
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
  if (!groups) return { outdir, files: bundles };
  const entries = deal(files, groups).map((group, g) => {
    const entry = path.join(outdir, `group-${g + 1}.mjs`);
    writeFileSync(entry, groupEntry(group.map((f) => ({ name: f, bundle: bundles[files.indexOf(f)] }))));
    return entry;
  });
  return { outdir, files: entries };
}

/**
 * The unit files that cost most (CPU seconds, own and their children's, each file bundled and run alone on the
 * 2-CPU machine at load ~4, less ~0.5 s for the node start every group pays once; dist, cli-catalogue and
 * cli-failed less what their last cuts saved, measured side by side): each goes to the group with
 * the least so far, the rest count as half a second. Only the balance of the groups depends on this list.
 */
const HEAVY = {
  'test/unit/dist.test.ts': 5.2,
  'test/unit/cli-catalogue.test.ts': 3.6,
  'test/unit/inventory/define-hive.test.ts': 4.0,
  'test/unit/entry-points.test.ts': 3.6,
  'test/unit/inventory/build-output.test.ts': 3.0,
  'test/unit/cli-failed.test.ts': 1.4,
  'test/unit/inventory/load.test.ts': 2.7,
  'test/unit/inventory/scale.test.ts': 2.5,
  'test/unit/inventory/schema-types.test.ts': 2.3,
  'test/unit/inventory/select.test.ts': 1.9,
  'test/unit/host/keys-script.test.ts': 1.7,
  'test/unit/inventory/import/import-command.test.ts': 1.6,
  'test/unit/plan/plan.test.ts': 1.5,
  'test/unit/keygen.test.ts': 1.1,
  'test/unit/nix/eval-worker.test.ts': 1.0,
  'test/unit/nix/watchdog.test.ts': 1.0,
};
const weight = (f) => HEAVY[f] ?? 0.5;

/**
 * Files dealt into one group as a unit: they import the same costly module (typescript: ~1 s of CPU to load
 * in each process that does), so one group loads it once.
 */
const TOGETHER = [['test/unit/inventory/define-hive.test.ts', 'test/unit/inventory/schema-types.test.ts']];

/** `files` in `count` groups of about equal weight (heaviest first to the lightest group), heaviest group first. */
function deal(files, count) {
  const units = TOGETHER.map((set) => set.filter((f) => files.includes(f))).filter((u) => u.length > 0);
  for (const f of files) if (!units.some((u) => u.includes(f))) units.push([f]);
  const unitWeight = (u) => u.reduce((sum, f) => sum + weight(f), 0);
  const groups = Array.from({ length: Math.min(count, units.length) }, () => ({ files: [], weight: 0 }));
  for (const u of units.sort((a, b) => unitWeight(b) - unitWeight(a))) {
    const lightest = groups.reduce((min, g) => (g.weight < min.weight ? g : min));
    lightest.files.push(...u);
    lightest.weight += unitWeight(u);
  }
  return groups.sort((a, b) => b.weight - a.weight).map((g) => g.files.sort());
}

/**
 * One process for many test files: a suite per file (named by it, so a failure names its file) that imports
 * the file's bundle; the suite collects the tests and hooks the file registers (node:test follows the import
 * through its async context), and a top-level `after` runs when that file's tests ended, as in a process of
 * its own. The suites are built (their imports started) at once and run one after the other.
 */
function groupEntry(group) {
  const lines = group.map(
    ({ name, bundle }) =>
      `describe(${JSON.stringify(name)}, async () => {\n  await import(${JSON.stringify(pathToFileURL(bundle).href)});\n});`,
  );
  // esbuild keeps the working directory it was loaded in for its service: loaded by a test while it runs
  // the CLI in a temp folder (since removed), a later build in this process could not start it.
  return [`import { describe } from 'node:test';`, `await import('esbuild');`, ...lines, ''].join('\n');
}
