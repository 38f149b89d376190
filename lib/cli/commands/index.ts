// The list of commands; each module adds one subcommand to the program.
import type { Command } from 'commander';
import { registerBuild } from './build.ts';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [registerBuild];
