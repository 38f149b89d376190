#!/usr/bin/env zx
// `just scp …`: copy files to or from instances (same as `nix-hive scp`).
import { runCommand } from './cli.mjs';

await runCommand('scp', import.meta.url);
