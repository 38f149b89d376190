#!/usr/bin/env zx
// `npx zx tasks/status.mjs …`: the same as `nix-hive status …` (one library function behind both).
import { runCommand } from './cli.mjs';

await runCommand('status', import.meta.url);
