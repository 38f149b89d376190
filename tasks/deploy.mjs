#!/usr/bin/env zx
// `npx zx tasks/deploy.mjs …`: the same as `nix-hive deploy …` (one library function behind both).
import { runCommand } from './cli.mjs';

await runCommand('deploy', import.meta.url);
