#!/usr/bin/env zx
// `npx zx tasks/import.mjs …`: the same as `nix-hive import …` (one library function behind both).
import { runCommand } from './cli.mjs';

await runCommand('import', import.meta.url);
