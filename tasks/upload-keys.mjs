#!/usr/bin/env zx
// `npx zx tasks/upload-keys.mjs …`: the same as `nix-hive upload-keys …` (one library function behind both).
import { runCommand } from './cli.mjs';

await runCommand('upload-keys', import.meta.url);
