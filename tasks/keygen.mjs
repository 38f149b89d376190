#!/usr/bin/env zx
// `npx zx tasks/keygen.mjs …`: the same as `nix-hive keygen …` (one library function behind both).
import { runCommand } from './cli.mjs';

await runCommand('keygen', import.meta.url);
