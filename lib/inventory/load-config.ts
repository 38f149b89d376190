// Imports the config module: TypeScript/JavaScript through tsx, loaded only then (with `nix-hive` resolving
// to this running library, and .ts loaded as ESM: see nix-hive-hook.mjs), JSON and YAML parsed as data. Any
// failure becomes one ConfigLoadError line, never a stack.
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigLoadError } from './config-load-error.ts';
import { displayPath } from './find-config.ts';
import { lazy } from '../lazy.ts';

const YAML = lazy<typeof import('yaml')>('yaml');

let hookRegistered = false;

/**
 * A config's `import … from 'nix-hive'` gets the library this CLI runs (compiled or not), not a second copy:
 * the hook serves a module re-exporting it from a global.
 */
async function registerNixHiveHook(): Promise<void> {
  if (hookRegistered) return;
  hookRegistered = true;
  const library = await import('../index.ts');
  (globalThis as Record<symbol, unknown>)[Symbol.for('nix-hive.library')] = library;
  register('./nix-hive-hook.mjs', import.meta.url, { data: { exports: Object.keys(library) } });
}

/** Imports a TypeScript/JavaScript module through tsx, loaded only now (in a namespace of its own per call). */
async function importThroughTsx(file: string): Promise<Record<string, unknown>> {
  // tsx first: modules imported after the hook is registered resolve through its thread, more slowly.
  const { tsImport } = await import('tsx/esm/api');
  await registerNixHiveHook();
  return (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
}

/** The authored config (not yet checked) from a file. */
export async function loadConfigFile(file: string): Promise<unknown> {
  const shown = displayPath(file);
  const ext = path.extname(file);
  if (ext === '.json' || ext === '.yaml' || ext === '.yml') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigLoadError(shown, `cannot read: ${(e as Error).message}`, e);
    }
    try {
      return ext === '.json' ? JSON.parse(text) : YAML().parse(text);
    } catch (e) {
      // Node's JSON messages quote the whole text; keep only the reason.
      // YAML's first line ends with ":" before a code excerpt.
      const reason = firstLine((e as Error).message)
        .replace(/, ".*" is not valid JSON$/, ' (not valid JSON)')
        .replace(/:$/, '');
      throw new ConfigLoadError(shown, `cannot parse: ${reason}`, e);
    }
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importThroughTsx(file);
  } catch (e) {
    throw new ConfigLoadError(shown, `cannot load: ${explain(e, file)}`, e);
  }
  if (!('default' in mod))
    throw new ConfigLoadError(shown, 'has no default export (export default defineHive({…}))');
  let config = unwrapCjs(mod.default);
  // A function, or a promise, may compute the hive (e.g. from files); both are awaited.
  try {
    if (typeof config === 'function') config = await (config as () => unknown)();
    config = await config;
  } catch (e) {
    throw new ConfigLoadError(shown, `cannot load: ${explain(e, file)}`, e);
  }
  return config;
}

/** Outside a `"type": "module"` package, tsx compiles a .ts config to CommonJS: unwrap its `default`. */
function unwrapCjs(value: unknown): unknown {
  const v = value as { __esModule?: boolean; default?: unknown } | null;
  return v && typeof v === 'object' && v.__esModule === true && 'default' in v ? v.default : value;
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? text
  );
}

/** One line for an import failure: syntax errors with their position, thrown errors with the config line. */
function explain(e: unknown, file: string): string {
  if (!(e instanceof Error)) return `threw ${firstLine(String(e))}`;
  const lines = e.message.split('\n');
  // esbuild (tsx) transform errors: "<file>:3:10: ERROR: Expected ..."
  const esbuild = lines.map((l) => /:(\d+):(\d+): ERROR: (.*)$/.exec(l)).find(Boolean);
  // esbuild counts columns from 0; editors from 1.
  if (esbuild) return `syntax error at line ${esbuild[1]}, column ${Number(esbuild[2]) + 1}: ${esbuild[3]}`;
  if (e.name === 'SyntaxError') return `syntax error: ${firstLine(e.message)}`;
  const where = lineIn(e.stack ?? '', file);
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ERR_MODULE_NOT_FOUND') return firstLine(e.message).replace(/ imported from .*$/, '');
  return `${e.name}: ${firstLine(e.message)}${where ? ` (line ${where})` : ''}`;
}

function lineIn(stack: string, file: string): string | undefined {
  const url = pathToFileURL(file).href;
  for (const l of stack.split('\n')) {
    const i = l.indexOf(url);
    const j = i >= 0 ? i + url.length : l.indexOf(file) >= 0 ? l.indexOf(file) + file.length : -1;
    if (j < 0) continue;
    const m = /^(?:\?[^:]*)?:(\d+):\d+/.exec(l.slice(j));
    if (m) return m[1];
  }
  return undefined;
}
