#!/usr/bin/env zx
// `npx zx tasks/rollback.mjs …`: the same as `nix-hive rollback …` (one library function behind both).
import { runCommand } from './cli.mjs';

await runCommand('rollback', import.meta.url);
