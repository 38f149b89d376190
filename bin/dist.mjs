// Builds and loads the compiled CLI: esbuild bundles lib/ into dist/nix-hive.js (npm packages stay external),
// whose first line records a signature of every input file (path, size, mtime, ctime). The bin runs the bundle
// only while that signature still matches the sources; otherwise it rebuilds it (~0.1 s), and if it cannot, it
// runs the TypeScript sources through tsx. A stale bundle is never run. `node bin/dist.mjs` (npm's
// `prepare`) builds it; `--check` exits 1 when it is stale.
import { createHash } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
} from 'node:fs';
import { writeFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BUNDLE = path.join(ROOT, 'dist', 'nix-hive.js');
const ENTRY = path.join(ROOT, 'lib', 'cli', 'main.ts');
/** Everything the bundle is made from: a change to any of these (or a file added or removed) makes it stale. */
const INPUT_DIRS = ['lib', 'schema'];
const INPUT_FILES = ['package.json', 'tsconfig.json', 'bin/dist.mjs'];
const HEADER = '// nix-hive dist ';

/** A hash over the path, size, mtime and ctime of every input file; ~2 ms for this tree. */
export function inputSignature() {
  const hash = createHash('sha1');
  const add = (rel) => {
    let s;
    try {
      s = statSync(path.join(ROOT, rel));
    } catch {
      hash.update(`${rel}\0missing\n`);
      return;
    }
    hash.update(`${rel}\0${s.size}\0${s.mtimeMs}\0${s.ctimeMs}\n`);
  };
  for (const dir of INPUT_DIRS) {
    let entries;
    try {
      entries = readdirSync(path.join(ROOT, dir), { recursive: true });
    } catch {
      entries = [];
    }
    for (const e of entries.map(String).sort()) add(path.join(dir, e));
  }
  for (const f of INPUT_FILES) add(f);
  return hash.digest('hex');
}

/** The signature the current bundle was built from, or undefined when there is none. */
export function bundleSignature(file = BUNDLE) {
  let fd;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(HEADER.length + 40);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const head = buf.subarray(0, n).toString('utf8');
    return head.startsWith(HEADER) ? head.slice(HEADER.length) : undefined;
  } finally {
    closeSync(fd);
  }
}

export const isFresh = () => bundleSignature() === inputSignature();

/**
 * In the bundle, `import.meta.url` would name dist/nix-hive.js; each source file gets its own URL back (relative
 * to the bundle, so the checkout can move), so `new URL('../../schema/…', import.meta.url)` keeps working.
 */
const ownUrlPlugin = {
  name: 'nix-hive-own-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const rel = path.relative(path.dirname(BUNDLE), args.path).split(path.sep).join('/');
      const own = `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
      return { contents: source.replaceAll('import.meta.url', own), loader: 'ts' };
    });
  },
};

/**
 * lib/inventory/validate/hive-validator.ts compiles the hive schema with ajv on first use; in the bundle it is ajv's
 * standalone code for the same schema and options, made now (ajv then neither loads nor compiles at start-up).
 */
async function precompiledValidator(file) {
  const source = readFileSync(file, 'utf8');
  const literal = /AJV_OPTIONS = (\{[^}]*\})/.exec(source)?.[1];
  if (!literal) throw new Error(`${file}: no AJV_OPTIONS literal`);
  const options = Function(`return (${literal});`)();
  const { createRequire } = await import('node:module');
  const require = createRequire(path.join(ROOT, 'package.json'));
  const Ajv = require('ajv').default;
  const standalone = require('ajv/dist/standalone').default;
  const schema = JSON.parse(readFileSync(path.join(ROOT, 'schema', 'hive.schema.json'), 'utf8'));
  const ajv = new Ajv({ ...options, code: { source: true, esm: true } });
  const code = standalone(ajv, ajv.compile(schema));
  return [
    "import { createRequire } from 'node:module';",
    'const require = createRequire(import.meta.url);',
    code,
    `export const AJV_OPTIONS = ${JSON.stringify(options)};`,
    'export function compileHiveValidator() { return validate; }',
  ].join('\n');
}

const precompilePlugin = {
  name: 'nix-hive-precompiled-validator',
  setup(build) {
    build.onLoad({ filter: /[\\/]lib[\\/]inventory[\\/]validate[\\/]hive-validator\.ts$/ }, async (args) => ({
      contents: await precompiledValidator(args.path),
      loader: 'js',
    }));
  },
};

/** Builds dist/nix-hive.js; installs it (one atomic rename) only if the sources did not change meanwhile. */
export async function buildDist() {
  const signature = inputSignature();
  // A dist/ that cannot be made or written fails here, before the bundle is built for nothing (~1 s).
  mkdirSync(path.dirname(BUNDLE), { recursive: true });
  accessSync(path.dirname(BUNDLE), constants.W_OK);
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    outfile: BUNDLE,
    logLevel: 'silent',
    plugins: [precompilePlugin, ownUrlPlugin],
  });
  const js = result.outputFiles.find((f) => f.path === BUNDLE);
  if (!js) throw new Error('esbuild wrote no bundle');
  const tmp = `${BUNDLE}.${process.pid}.tmp`;
  writeFileSync(tmp, `${HEADER}${signature}\n${js.text}`);
  if (inputSignature() !== signature) {
    unlinkSync(tmp);
    return false;
  }
  renameSync(tmp, BUNDLE);
  return true;
}

/** The bundle when it is fresh (rebuilding it if needed), else undefined. */
export async function ensureDist() {
  if (isFresh()) return BUNDLE;
  try {
    if (await buildDist()) return BUNDLE;
  } catch {
    // esbuild missing or dist/ not writable: the caller falls back to the sources.
  }
  return undefined;
}

/**
 * The CLI's entry `run` (lib/cli/main.ts: runs a command line and sets the process's exit code): from the fresh
 * bundle, else (or with NIX_HIVE_SOURCES=1) from the sources through tsx.
 */
export async function loadRun() {
  const bundle = process.env.NIX_HIVE_SOURCES === '1' ? undefined : await ensureDist();
  if (bundle) return (await import(pathToFileURL(bundle).href)).run;
  const { register } = await import('tsx/esm/api');
  register();
  return (await import(pathToFileURL(path.join(ROOT, 'lib/cli/main.ts')).href)).run;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--check') {
    process.exitCode = isFresh() ? 0 : 1;
  } else if (!(await buildDist())) {
    console.error('bin/dist.mjs: the sources changed during the build; run it again');
    process.exitCode = 1;
  }
}
