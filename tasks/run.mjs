#!/usr/bin/env zx
// `just run …`: run a command across the fleet (same as `nix-hive run`).
import { runCommand } from './cli.mjs';

await runCommand('run', import.meta.url);
