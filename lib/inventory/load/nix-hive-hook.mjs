// Node module resolve hook for loading hive configs: makes `import … from 'nix-hive'` in a hive.config.ts
// anywhere on disk resolve to the library the CLI is running (a module re-exporting the global that
// loader.ts sets; compiled or not, there is one copy), and loads TypeScript files outside node_modules
// as ES modules even where no package.json says `"type": "module"` (so top-level await works).
let library = 'data:text/javascript,export {};';

export async function initialize(data) {
  const names = (data && Array.isArray(data.exports) ? data.exports : []).filter((n) =>
    /^[A-Za-z_$][\w$]*$/.test(n),
  );
  const source =
    `const lib = globalThis[Symbol.for('nix-hive.library')];\n` +
    names.map((n) => `export const ${n} = lib.${n};\n`).join('');
  library = `data:text/javascript,${encodeURIComponent(source)}`;
}

const TS = /\.(ts|tsx)$/;

export async function resolve(specifier, context, next) {
  if (specifier === 'nix-hive') return { url: library, format: 'module', shortCircuit: true };
  const resolved = await next(specifier, context);
  const { url, format } = resolved;
  if (url.startsWith('file:') && !url.includes('/node_modules/')) {
    const path = new URL(url).pathname;
    if (TS.test(path) && (format === undefined || format === null || String(format).startsWith('commonjs')))
      return { ...resolved, format: 'module' };
  }
  return resolved;
}
