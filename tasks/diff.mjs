#!/usr/bin/env zx
// `npx zx tasks/diff.mjs …`: the same as `nix-hive diff …` (one library function behind both).
import { runCommand } from './cli.mjs';

await runCommand('diff', import.meta.url);
