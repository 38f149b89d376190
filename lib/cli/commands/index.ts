// The list of commands; each module adds one subcommand to the program.
import type { Command } from 'commander';
import { registerBuild } from './build.ts';
import { registerDeploy } from './deploy.ts';
import { registerDiff } from './diff.ts';
import { registerKeygen } from './keygen.ts';
import { registerStatus } from './status.ts';
import { registerSshConfig } from './ssh-config.ts';
import { registerSsh } from './ssh.ts';
import { registerScp } from './scp.ts';
import { registerRun } from './run.ts';
import { registerImport } from './import.ts';
import { registerCheck } from './check.ts';
import { registerRollback } from './rollback.ts';
import { registerUploadKeys } from './upload-keys.ts';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerDeploy,
  registerBuild,
  registerStatus,
  registerDiff,
  registerKeygen,
  registerSshConfig,
  registerSsh,
  registerScp,
  registerRun,
  registerImport,
  registerCheck,
  registerRollback,
  registerUploadKeys,
];
