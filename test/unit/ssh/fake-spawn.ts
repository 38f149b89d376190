// A recording Spawner for unit tests: answers each call from a function and keeps the argv of every call.
import type { SpawnOptions, SpawnResult, Spawner } from '../../../lib/exec/spawn.ts';

export interface Call {
  command: string;
  args: string[];
  options: SpawnOptions | undefined;
}

export function fakeSpawn(answer: (call: Call) => Partial<SpawnResult> | Promise<Partial<SpawnResult>>): {
  spawn: Spawner;
  calls: Call[];
} {
  const calls: Call[] = [];
  const spawn: Spawner = async (command, args, options) => {
    const call = { command, args: [...args], options };
    calls.push(call);
    const r = await answer(call);
    return {
      command,
      args: [...args],
      exitCode: 0,
      signal: undefined,
      timedOut: false,
      stdout: '',
      stderr: '',
      durationMs: 1,
      ...r,
    };
  };
  return { spawn, calls };
}

/** ssh as seen through the session: no master yet (`-O check` fails), masters open fine. */
export function sshAnswers(remote: (call: Call) => Partial<SpawnResult> = () => ({})) {
  return (call: Call): Partial<SpawnResult> => {
    if (call.args.includes('-O')) return call.args.includes('check') ? { exitCode: 255 } : {};
    if (call.args.includes('-N')) return {};
    return remote(call);
  };
}
