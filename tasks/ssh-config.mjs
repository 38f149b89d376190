#!/usr/bin/env zx
// `just ssh-config …`: print the generated ssh_config (same as `nix-hive ssh-config`).
import { runCommand } from './cli.mjs';

await runCommand('ssh-config', import.meta.url);
