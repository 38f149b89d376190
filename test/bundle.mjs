// Compiles test files to JavaScript once per run (esbuild, ~0.3 s for the unit suite), so each test process
// starts as plain node instead of loading tsx and compiling the sources again (~0.2 s of CPU per file). One
// bundle per test file with the library code it imports (shared chunks; npm packages stay external, `nix-hive`
// is lib/index.ts as the package's exports say); inline source maps, so a failure's stack names the .ts lines.
// `import.meta.url`, `.dirname` and `.filename` keep naming each source file, so fixtures and lib/'s own files
// (schema, hooks) are found as under tsx. Configs a test loads (hive.config.ts) still go through tsx, on demand,
// as in the product.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
 * bundle of each file, in the same order. On a compile error esbuild prints it, the folder is removed, and this
 * throws.
 */
export async function bundleTests(files) {
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
  return { outdir, files: files.map((f) => path.join(outdir, `${out(f)}.mjs`)) };
}
