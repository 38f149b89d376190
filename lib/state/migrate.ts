// Reads any known version of the state file and returns the current one. Version 1 (the original
// tool's) kept only build results: `{ version: 1, builds: { <system>: <outPath> } }`.
import { StateError } from '../errors.ts';
import { emptyState, STATE_VERSION, type HiveState } from './types.ts';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function migrateState(raw: unknown, file: string): HiveState {
  if (!isRecord(raw)) throw new StateError(`${file}: not a state file (expected a JSON object)`);
  const version = raw.version;
  if (version === STATE_VERSION) {
    if (!isRecord(raw.systems) || !isRecord(raw.instances)) {
      throw new StateError(`${file}: version ${STATE_VERSION} state needs "systems" and "instances" objects`);
    }
    return raw as unknown as HiveState;
  }
  if (version === 1) {
    const state = emptyState();
    const builds = isRecord(raw.builds) ? raw.builds : {};
    for (const [system, outPath] of Object.entries(builds)) {
      if (typeof outPath !== 'string') continue;
      // No fingerprint was kept: `--no build` will rebuild once and record one.
      state.systems[system] = { outPath, drvPath: undefined, fingerprint: '', builtAt: '' };
    }
    return state;
  }
  if (typeof version === 'number' && version > STATE_VERSION) {
    throw new StateError(
      `${file}: state version ${version} is newer than this nix-hive understands (${STATE_VERSION})`,
      {
        hint: 'upgrade nix-hive, or pass --state with another file',
      },
    );
  }
  throw new StateError(`${file}: unknown state version ${JSON.stringify(version)}`);
}
