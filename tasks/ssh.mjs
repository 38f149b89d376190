#!/usr/bin/env zx
// `just ssh …`: a shell or one command on an instance (same as `nix-hive ssh`).
import { runCommand } from './cli.mjs';

await runCommand('ssh', import.meta.url);
