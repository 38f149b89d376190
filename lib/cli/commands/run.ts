// `nix-hive run <patterns…> -- <command…>`: one command on many instances at once. Output grouped per host as
// each ends (or live, prefixed, with --stream; or one JSON record per host), a summary, exit 1 if any failed.
import type { Command } from 'commander';
import { InputError, inputError } from '../../errors.ts';
import { hostsOf } from '../../host/host.ts';
import { runOnHosts, summarize, type HostRunRecord, type RunEvent } from '../../host/run-many.ts';
import { openSshSession } from '../../ssh/session.ts';
import { addConfigOption, loadSelection, parseCount, parseSeconds, type ConfigOptions } from '../options.ts';
import { READ_ONLY_GRACE_MS, withInterruptedSession } from '../interrupt.ts';
import { act, type Outcome } from '../outcome.ts';

export interface RunFlags extends ConfigOptions {
  parallel: string;
  timeout?: string;
  stream?: boolean;
  json?: boolean;
  sudo?: boolean;
  stdin?: boolean;
  connectTimeout: string;
}

export interface RunRequest {
  patterns: string[];
  command: string[];
  parallel: number;
  timeoutMs: number | undefined;
  connectTimeout: number;
  mode: 'grouped' | 'stream' | 'json';
  sudo: boolean;
  stdin: boolean;
}

/**
 * Commander drops the `--`, so the operands arrive as one list; `rawArgs` (the whole command line) says how many
 * words followed the first `--`: those are the command, the rest are patterns.
 */
export function splitAtDashDash(
  operands: string[],
  rawArgs: readonly string[],
): { before: string[]; after: string[] } | null {
  const i = rawArgs.indexOf('--');
  if (i < 0) return null;
  const tail = rawArgs.length - i - 1;
  if (tail > operands.length) return null;
  return { before: operands.slice(0, operands.length - tail), after: operands.slice(operands.length - tail) };
}

/** The request a command line makes; every problem is an InputError (exit 2, nothing started). */
export function parseRunArgs(operands: string[], rawArgs: readonly string[], flags: RunFlags): RunRequest {
  const split = splitAtDashDash(operands, rawArgs);
  if (!split) throw inputError('command', 'put the command after --: nix-hive run <patterns…> -- <command…>');
  if (split.before.length === 0) {
    throw inputError('patterns', "name the instances before -- (instance names, @tags, globs; '*' for all)");
  }
  if (split.after.length === 0) throw inputError('command', 'the command after -- is empty');
  if (flags.stream && flags.json) throw inputError('--stream', 'cannot be used with --json');
  return {
    patterns: split.before,
    command: split.after,
    parallel: parseCount('--parallel', flags.parallel),
    timeoutMs: flags.timeout === undefined ? undefined : parseSeconds('--timeout', flags.timeout) * 1000,
    connectTimeout: parseCount('--connect-timeout', flags.connectTimeout),
    mode: flags.json ? 'json' : flags.stream ? 'stream' : 'grouped',
    sudo: Boolean(flags.sudo),
    stdin: Boolean(flags.stdin),
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function status(r: HostRunRecord): string {
  if (r.outcome === 'ok') return 'ok';
  if (r.outcome === 'unreachable') return `unreachable: ${r.reason ?? ''}`;
  if (r.outcome === 'interrupted')
    return r.reason === 'interrupted' ? 'interrupted' : `interrupted: ${r.reason ?? ''}`;
  return r.code !== null ? `failed (exit ${r.code})` : `failed: ${r.reason ?? ''}`;
}

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/** Prints events as they come, the way the mode asks. */
function printer(mode: RunRequest['mode'], width: number): (e: RunEvent) => void {
  return (e) => {
    if (mode === 'json') {
      if (e.kind === 'done') {
        const { instance, stdout, stderr, code, durationMs, outcome, reason } = e.record;
        const rec = { instance, stdout, stderr, code, durationMs, outcome, ...(reason ? { reason } : {}) };
        process.stdout.write(`${JSON.stringify(rec)}\n`);
      }
      return;
    }
    if (mode === 'stream') {
      if (e.kind === 'line') {
        const out = e.stream === 'stdout' ? process.stdout : process.stderr;
        out.write(`${e.instance.padEnd(width)} | ${e.line}\n`);
      } else if (e.kind === 'done' && e.record.outcome !== 'ok') {
        process.stderr.write(`${e.record.instance.padEnd(width)} ! ${status(e.record)}\n`);
      }
      return;
    }
    if (e.kind === 'done') {
      const r = e.record;
      process.stdout.write(`── ${r.instance} · ${status(r)} · ${seconds(r.durationMs)}\n`);
      process.stdout.write(withNewline(r.stdout));
      // ssh's own messages are already in the status line.
      if (r.outcome !== 'unreachable') process.stderr.write(withNewline(r.stderr));
    }
  };
}

function printSummary(records: HostRunRecord[]): void {
  const s = summarize(records);
  const lines = [
    `${records.length} host${records.length === 1 ? '' : 's'}: ${s.ok.length} ok, ${s.failed.length} failed, ${s.unreachable.length} unreachable${s.interrupted.length ? `, ${s.interrupted.length} interrupted` : ''}`,
  ];
  const bad = [...s.failed, ...s.unreachable, ...s.interrupted];
  const width = Math.max(0, ...bad.map((r) => r.instance.length));
  for (const r of bad) lines.push(`  ${r.instance.padEnd(width)}  ${status(r)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Registers `run`; `execute` is swapped in tests to check the parsed request. */
export function registerRun(
  program: Command,
  execute: (req: RunRequest, flags: RunFlags) => Promise<Outcome | void> = executeRun,
): void {
  const cmd = program
    .command('run')
    .usage('[options] <patterns…> -- <command…>')
    .description('run a command on many instances: nix-hive run @web -- systemctl status caddy')
    .argument(
      '<patterns-and-command...>',
      'instance names, @tags, globs (!pattern excludes), then -- and the command',
    )
    .option('--parallel <n>', 'how many hosts at once', '10')
    .option(
      '--timeout <seconds>',
      'per host; a host that takes longer fails and its command is stopped there',
    )
    .option('--connect-timeout <seconds>', 'how long to wait for each connection', '10')
    .option('--stream', 'print lines as they come, prefixed with the instance name')
    .option(
      '--json',
      'one JSON record per host on stdout: instance, stdout, stderr, code, durationMs, outcome',
    )
    .option('--sudo', 'run as root (through sudo -n when the instance user is not root)')
    .option('--stdin', 'read standard input once and give every host a copy');
  addConfigOption(cmd);
  cmd.action(
    act(async (operands: string[], flags: RunFlags, self: Command) => {
      const rawArgs = (self.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? [];
      return execute(parseRunArgs(operands, rawArgs, flags), flags);
    }),
  );
}

/** Selects, runs, prints, and returns the outcome. */
export async function executeRun(req: RunRequest, flags: RunFlags): Promise<Outcome> {
  const { hive, targets } = await loadSelection(flags, req.patterns);
  if (targets.length === 0) throw new InputError([{ path: 'patterns', message: 'selects no instance' }]);
  const input = req.stdin ? await readStdin() : undefined;
  const open = () => openSshSession(hive, { connectTimeout: req.connectTimeout });
  return withInterruptedSession(
    open,
    async (session, interrupt): Promise<Outcome> => {
      const hosts = hostsOf(session);
      const records = await runOnHosts(
        targets.map((t) => hosts.get(t)!),
        {
          argv: req.command,
          parallel: req.parallel,
          timeoutMs: req.timeoutMs,
          root: req.sudo,
          input,
          stop: interrupt.stop,
          signal: interrupt.kill,
          onEvent: printer(req.mode, Math.max(...targets.map((t) => t.length))),
        },
      );
      if (req.mode !== 'json') printSummary(records);
      return summarize(records).outcome;
    },
    READ_ONLY_GRACE_MS,
  );
}
