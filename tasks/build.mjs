#!/usr/bin/env zx
// `just build …`: build the selected systems and print the resolved inventory as JSON (same as `nix-hive build`).
import { runCommand } from './cli.mjs';

await runCommand('build', import.meta.url);
