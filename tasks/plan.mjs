#!/usr/bin/env zx
// `npx zx tasks/plan.mjs …`: the same as `nix-hive plan …` (one library function behind both).
import { runCommand } from './cli.mjs';

await runCommand('plan', import.meta.url);
