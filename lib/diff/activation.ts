// Reads what `switch-to-configuration dry-activate` says it would do to units. The words are
// switch-to-configuration-ng's (nixpkgs pkgs/by-name/sw/switch-to-configuration-ng/src/src/main.rs): one line per
// action on stderr, `would <action> the following units: a.service, b.service`, names joined by ", ".

export interface ServiceChanges {
  stop: string[];
  start: string[];
  restart: string[];
  reload: string[];
  /** Changed units it would NOT stop (`X-StopIfChanged`-like skips): shown, never acted on. */
  skip: string[];
  /** Units that failed (`warning: the following units failed:`, printed by a switch; listed when seen). */
  failed: string[];
  /** `would restart systemd`. */
  restartSystemd: boolean;
}

const LINE =
  /^(?:would (stop|start|restart|reload) the following units|would (NOT stop) the following changed units|warning: the following units (failed)): (.*)$/;

export function emptyServiceChanges(): ServiceChanges {
  return { stop: [], start: [], restart: [], reload: [], skip: [], failed: [], restartSystemd: false };
}

/** The unit changes named in dry-activate's output (other lines are ignored). */
export function parseDryActivate(output: string): ServiceChanges {
  const out = emptyServiceChanges();
  for (const raw of output.split('\n')) {
    const line = raw.trimEnd();
    if (line === 'would restart systemd') {
      out.restartSystemd = true;
      continue;
    }
    const m = LINE.exec(line);
    if (!m) continue;
    const key: keyof ServiceChanges = m[1]
      ? (m[1] as 'stop' | 'start' | 'restart' | 'reload')
      : m[2]
        ? 'skip'
        : 'failed';
    const units = m[4]!
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean);
    for (const u of units) if (!out[key].includes(u)) out[key].push(u);
  }
  return out;
}

/** Nothing would change. */
export function noServiceChange(s: ServiceChanges): boolean {
  return (
    !s.restartSystemd && [s.stop, s.start, s.restart, s.reload, s.skip, s.failed].every((l) => l.length === 0)
  );
}
