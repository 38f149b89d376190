// The three entry points — the bin, the zx task and the just recipe — run the same library function
// with the same arguments, quote-safe (`'*'` reaches the selection as a pattern, not a shell glob).
// `plan` is used because it starts no nix or ssh process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
const env = { ...process.env };
delete env.NIX_HIVE_FLEET;
const args = ['-c', 'example', '--goal', 'boot', 'portico', '*', '!www-3'];

async function output(command: string, argv: string[]): Promise<string> {
  const r = await run(command, argv, { cwd: ROOT, env, timeout: 120_000 });
  return r.stdout;
}

test('bin, zx task and just recipe print the same plan', async () => {
  const bin = await output(process.execPath, [path.join(ROOT, 'bin/nix-hive.mjs'), 'plan', ...args]);
  assert.match(bin, /^plan: goal boot, 4 instance\(s\)/);
  assert.match(bin, /targets: portico storage www-1 www-2\n/);
  const zx = await output(path.join(ROOT, 'node_modules/.bin/zx'), ['tasks/plan.mjs', ...args]);
  const just = await output(path.join(ROOT, 'node_modules/.bin/just'), ['plan', ...args]);
  assert.equal(zx, bin);
  assert.equal(just.replace(/^npx zx .*\n/m, ''), bin);
});

test('a bad argument is the same one-line error, exit 2, through every entry point', async () => {
  const bad = ['-c', 'example', '--goal', 'reboot'];
  const line =
    'nix-hive: --goal: unknown goal "reboot" (did you mean "boot"?) (expected switch, boot, test, dry-activate)\n';
  for (const [command, argv] of [
    [process.execPath, [path.join(ROOT, 'bin/nix-hive.mjs'), 'plan', ...bad]],
    [path.join(ROOT, 'node_modules/.bin/zx'), ['tasks/plan.mjs', ...bad]],
    [path.join(ROOT, 'node_modules/.bin/just'), ['plan', ...bad]],
  ] as const) {
    await assert.rejects(
      run(command, [...argv], { cwd: ROOT, env }),
      (e: { code: number; stderr: string }) => {
        assert.equal(e.code, 2, `${path.basename(command)} ${argv.join(' ')}`);
        // just echoes the recipe's command line and adds its own line saying the recipe failed.
        if (command.endsWith('/just'))
          assert.equal(
            e.stderr
              .split('\n')
              .filter((l) => l.startsWith('nix-hive: '))
              .join('\n') + '\n',
            line,
          );
        else assert.equal(e.stderr, line);
        return true;
      },
    );
  }
});
