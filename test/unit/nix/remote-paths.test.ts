// No remote script names a tool by an FHS path: a NixOS host has only /bin/sh and /usr/bin/env there
// (nixos/modules/config/system-path.nix puts every tool under /run/current-system/sw/bin; the activation's
// `binsh` and `usrbinenv` scripts make those two). Checked twice: in the source of every module under lib/
// (the scripts are fixed text there) and in the argv each remote-script builder returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { globbySync } from 'globby';
import { fileURLToPath } from 'node:url';
import { startActivationArgv, waitActivationArgv } from '../../../lib/nix/detached.ts';
import {
  armWatchdogArgv,
  heartbeatArgv,
  resumeWatchdogArgv,
  verdictArgv,
  waitRollbackArgv,
} from '../../../lib/nix/watchdog.ts';
import { selectGenerationArgv } from '../../../lib/nix/rollback.ts';
import { bootStateArgv, needsRebootArgv, rebootArgv } from '../../../lib/nix/reboot.ts';
import { uploadKeysArgv } from '../../../lib/host/keys-script.ts';
import { runWrapperArgv } from '../../../lib/host/run-wrapper.ts';
import { clearChildArgv, grantArgv, prepareChildArgv, revokeArgv } from '../../../lib/ssh/relay-access.ts';
import {
  clearPushArgv,
  configurePushArgv,
  grantPushArgv,
  preparePushArgv,
  revokePushArgv,
} from '../../../lib/ssh/build-host-access.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ALLOWED = new Set(['/bin/sh', '/usr/bin/env']);

/** FHS tool paths in `text` that are not part of a longer path (`$path/bin/x`, `${s}/bin/x` are fine). */
export function fhsToolPaths(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?<![\w$}.\/~-])\/(?:usr\/)?(?:local\/)?s?bin\/[A-Za-z0-9_.+-]+/g)) {
    if (!ALLOWED.has(m[0])) found.push(m[0]);
  }
  return found;
}

/** A file's code without its comment lines (a comment may name a path a script never runs). */
function code(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l))
    .join('\n');
}

test('the path check finds an FHS tool path and lets system paths and the two NixOS has through', () => {
  assert.deepEqual(fhsToolPaths('mv a b && /usr/bin/mv a b; /bin/ln -s x y; /sbin/reboot'), [
    '/usr/bin/mv',
    '/bin/ln',
    '/sbin/reboot',
  ]);
  assert.deepEqual(
    fhsToolPaths(
      '"$path/bin/switch-to-configuration" ${sys}/bin/x /run/current-system/sw/bin/ls /bin/sh /usr/bin/env',
    ),
    [],
  );
});

test('no module under lib/ names /bin/<tool> or /usr/bin/<tool> in code', () => {
  const files = globbySync(['lib/**/*.ts', 'lib/**/*.mjs', 'lib/**/*.nix'], { cwd: ROOT });
  assert.ok(files.length > 50, `lib/ has its modules (${files.length})`);
  const bad: string[] = [];
  for (const f of files) {
    for (const p of fhsToolPaths(code(readFileSync(`${ROOT}/${f}`, 'utf8')))) bad.push(`${f}: ${p}`);
  }
  assert.deepEqual(bad, []);
});

test('no remote script a builder returns names /bin/<tool> or /usr/bin/<tool>', () => {
  const sys = '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-www';
  const run = '20261206T030000Z-abcd';
  const built: Record<string, string[]> = {
    startActivation: startActivationArgv('id-1', sys, 'switch'),
    waitActivation: waitActivationArgv('id-1', 60),
    armWatchdog: armWatchdogArgv('id-1', 'switch', 30),
    resumeWatchdog: resumeWatchdogArgv('id-1'),
    verdict: verdictArgv('id-1', 'confirmed'),
    heartbeat: heartbeatArgv('id-1'),
    waitRollback: waitRollbackArgv('id-1', 60),
    selectGeneration: selectGenerationArgv(undefined),
    bootState: bootStateArgv(),
    reboot: rebootArgv(),
    needsReboot: needsRebootArgv(),
    uploadKeys: uploadKeysArgv(),
    runWrapper: runWrapperArgv(['true'], { backstopSeconds: 5 }),
    relayPrepare: prepareChildArgv(run, 'known', 'config', sys),
    relayClear: clearChildArgv(run),
    relayGrant: grantArgv('ssh-ed25519 AAAA x'),
    relayRevoke: revokeArgv(run),
    pushPrepare: preparePushArgv(run),
    pushConfigure: configurePushArgv(run, 'known', 'config'),
    pushClear: clearPushArgv(run),
    pushGrant: grantPushArgv('ssh-ed25519 AAAA x'),
    pushRevoke: revokePushArgv(run),
  };
  const bad = Object.entries(built).flatMap(([name, argv]) =>
    fhsToolPaths(argv.join('\n')).map((p) => `${name}: ${p}`),
  );
  assert.deepEqual(bad, []);
});
