// The keys step: every key of one instance in ONE remote command over its ssh connection. Sources are read
// on the deployer into memory (a `command` runs now, not at load), framed on the command's stdin, and the
// fixed remote script (host/keys-script.ts) puts each file in place with its owner and mode before any byte.
// Logs show a key's name, destination and whether it was written, staged or left unchanged; never its
// content. A post-activation step first gives staged keys their owner (key-owners.ts); when it fails it
// says the new system is active without those keys.
import { CommandError, HostError } from '../../errors.ts';
import { keyStream, parseUploadOutput, uploadKeysArgv, type KeyFrame } from '../../host/keys-script.ts';
import type { KeysStep } from '../../plan/types.ts';
import type { KeysCtx, LocalCtx, RemoteCtx, RunCtx } from '../context.ts';
import { readKeySource } from './key-source.ts';
import type { StepIO } from '../run/run-dag.ts';
import { setStagedOwners } from './key-owners.ts';

/** What sending keys reads: the hive (sources, destinations), the spawner (`command` sources), the session. */
export type KeysStageCtx = Pick<RunCtx, 'hive'> & Pick<LocalCtx, 'spawn'> & RemoteCtx & KeysCtx;

/** How many stderr lines of a failing source command reach the step's log (and the summary's tail). */
const STDERR_TAIL = 20;

export async function uploadKeys(ctx: KeysStageCtx, step: KeysStep, io: StepIO): Promise<void> {
  if (step.uploadAt === 'pre-activation') return sendKeys(ctx, step, io);
  // After the activation: the host already runs (and confirmed) the new system, which a failure here does not
  // undo; the reason says so, and how to re-send once the source is fixed.
  try {
    if (step.owners) await setStagedOwners(ctx, step, io);
    if (step.keys.length > 0) await sendKeys(ctx, step, io);
  } catch (err) {
    if (io.signal.aborted) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new HostError(
      `${message}; the new system is active without its post-activation keys (re-send with nix-hive upload-keys ${step.instance})`,
      { cause: err },
    );
  }
}

/** Reads the sources of `step.keys` and writes them on the instance in one remote command. */
export async function sendKeys(
  ctx: KeysStageCtx,
  step: Pick<KeysStep, 'instance' | 'keys' | 'stageOwners'>,
  io: StepIO,
): Promise<void> {
  const inst = ctx.hive.instances[step.instance];
  if (!inst) throw new Error(`keys: unknown instance ${step.instance}`);
  const frames: KeyFrame[] = [];
  try {
    for (const { name } of step.keys) {
      const key = inst.keys[name]!;
      const stderr: string[] = [];
      let content: Buffer;
      try {
        content = await readKeySource(`key ${name}`, key.source, {
          spawn: ctx.spawn,
          cwd: ctx.hive.root,
          signal: io.signal,
          onStderr: (line) => stderr.push(line),
        });
      } catch (err) {
        for (const line of stderr.slice(-STDERR_TAIL)) io.log('stderr', line);
        throw err;
      }
      frames.push({ dest: key.path, user: key.user, group: key.group, mode: key.mode, content });
    }
    const input = keyStream(frames, { stageMissingOwners: step.stageOwners === true });
    let r;
    try {
      r = await ctx.remote(step.instance, uploadKeysArgv(), { input, signal: io.signal, root: true });
    } finally {
      input.fill(0);
    }
    const outcomes = parseUploadOutput(r.stdout);
    for (const o of outcomes) {
      const name = step.keys.find((k) => k.path === o.dest)?.name ?? '?';
      const key = inst.keys[name];
      if (o.state === 'staged' && key) {
        ctx.stagedKeys.add(step.instance, { name, path: o.dest, user: key.user, group: key.group });
        io.log(
          'stdout',
          `key ${name} → ${o.dest}: staged root:root (${key.user}:${key.group} after the activation)`,
        );
      } else io.log('stdout', `key ${name} → ${o.dest}: ${o.state}${o.reason ? ` (${o.reason})` : ''}`);
    }
    if (r.exitCode !== 0) {
      const failed = outcomes.find((o) => o.state === 'failed');
      if (failed) {
        const name = step.keys.find((k) => k.path === failed.dest)?.name ?? failed.dest;
        throw new HostError(`key ${name} → ${failed.dest}: ${failed.reason ?? 'failed'}`);
      }
      throw new CommandError(r, `uploading keys to ${step.instance}`);
    }
  } finally {
    for (const f of frames) if (Buffer.isBuffer(f.content)) f.content.fill(0);
  }
}
