// Node module resolve hook for loading hive configs: makes `import … from 'nix-hive'` in a hive.config.ts
// anywhere on disk resolve to this package's lib/index.ts, and loads TypeScript files outside node_modules
// as ES modules even where no package.json says `"type": "module"` (so top-level await works).
let target = new URL('../index.ts', import.meta.url).href;

export async function initialize(data) {
  if (data && typeof data.target === 'string') target = data.target;
}

const TS = /\.(ts|tsx)$/;

export async function resolve(specifier, context, next) {
  if (specifier === 'nix-hive') return { url: target, shortCircuit: true };
  const resolved = await next(specifier, context);
  const { url, format } = resolved;
  if (url.startsWith('file:') && !url.includes('/node_modules/')) {
    const path = new URL(url).pathname;
    if (TS.test(path) && (format === undefined || format === null || String(format).startsWith('commonjs')))
      return { ...resolved, format: 'module' };
  }
  return resolved;
}
