#!/usr/bin/env zx
// `npx zx tasks/check.mjs …`: the same as `nix-hive check …` (one library function behind both).
import { runCommand } from './cli.mjs';

await runCommand('check', import.meta.url);
