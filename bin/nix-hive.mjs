#!/usr/bin/env node
// The nix-hive bin: runs the compiled CLI (dist/, rebuilt first when any source changed; the TypeScript
// sources through tsx when it cannot be built). See bin/dist.mjs.
import { loadMain } from './dist.mjs';

const main = await loadMain();
process.exitCode = await main(process.argv.slice(2));
