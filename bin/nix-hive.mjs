#!/usr/bin/env node
// The nix-hive bin: runs the compiled CLI (dist/, rebuilt first when any source changed; the TypeScript
// sources through tsx when it cannot be built). See bin/dist.mjs. lib/cli/main.ts's `run` sets the exit code.
import { loadRun } from './dist.mjs';

const run = await loadRun();
await run(process.argv.slice(2));
