// Loads a dependency on its first use instead of at start-up, so `nix-hive --help` and `ssh-config` do not
// pay for what they never call (the CLI start-up figure in bench/). Synchronous: these ship CommonJS builds.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A function returning the package `id`, required the first time it is called. */
export function lazy<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
