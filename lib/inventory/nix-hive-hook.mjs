// Node module resolve hook: makes `import … from 'nix-hive'` in a hive.config.ts anywhere on disk
// resolve to this package's lib/index.ts (registered once by load-config.ts).
let target = new URL('../index.ts', import.meta.url).href;

export async function initialize(data) {
  if (data && typeof data.target === 'string') target = data.target;
}

export async function resolve(specifier, context, next) {
  if (specifier === 'nix-hive') return { url: target, shortCircuit: true };
  return next(specifier, context);
}
