// The three entry points — the bin, the zx task and the just recipe — run the same library function
// with the same arguments, quote-safe (`'*'` reaches the selection as a pattern, not a shell glob).
// Every command's task and recipe are read and checked against the CLI's command list; the costly starts
// (`npx` in a recipe ~1 s, a TypeScript config through tsx ~1 s) are spent once each where one proves the
// wiring: the bin and the zx task print the same plan (a JSON hive), and a bad argument that a shell would
// split and glob is the same one-line error, exit 2, through all three. `plan` starts no nix or ssh process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildProgram } from '../../lib/cli/main.ts';
import { tempDir } from '../helpers/tmp.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
const env = { ...process.env };
delete env.NIX_HIVE_FLEET;
const BIN = path.join(ROOT, 'bin/nix-hive.mjs');
const ZX = path.join(ROOT, 'node_modules/.bin/zx');
const JUST = path.join(ROOT, 'node_modules/.bin/just');

/** A store host, a tier of three behind it, one more: read as JSON (no tsx start in any entry point). */
function jsonHive(): string {
  const dir = tempDir('nix-hive-entry-');
  const web = path.join(ROOT, 'test/fixtures/configs/valid/modules/web.nix');
  const behind = { via: 'portico', store: 'portico' };
  const hive = {
    signingKey: path.join(ROOT, 'test/fixtures/configs/valid/keys/hive.sec'),
    systems: { gate: { modules: [web] }, www: { modules: [web] } },
    instances: {
      portico: { system: 'gate', address: '203.0.113.10' },
      storage: { system: 'gate', address: '10.0.0.20', ...behind },
      ...Object.fromEntries(
        [1, 2, 3].map((n) => [`www-${n}`, { system: 'www', address: `10.0.0.1${n}`, ...behind }]),
      ),
    },
  };
  const file = path.join(dir, 'hive.config.json');
  writeFileSync(file, JSON.stringify(hive));
  return file;
}

test('bin and zx task print the same plan', async () => {
  const args = ['-c', jsonHive(), '--goal', 'boot', 'portico', '*', '!www-3'];
  const opts = { cwd: ROOT, env, timeout: 120_000 };
  const bin = (await run(process.execPath, [BIN, 'plan', ...args], opts)).stdout;
  assert.match(bin, /^plan: goal boot, 4 instance\(s\)/);
  assert.match(bin, /targets: portico storage www-1 www-2\n/);
  const zx = (await run(ZX, ['tasks/plan.mjs', ...args], opts)).stdout;
  assert.equal(zx, bin);
});

test('a bad argument is the same one-line error, exit 2, through every entry point, unsplit and unglobbed', async () => {
  // Split by a shell, `boot *` would be the goal `boot` and every file here as a target pattern.
  const bad = ['-c', 'example', '--goal', 'boot *'];
  const line =
    'nix-hive: --goal: unknown goal "boot *" (did you mean "boot"?) (expected switch, boot, test, dry-activate)\n';
  for (const [command, argv] of [
    [process.execPath, [BIN, 'plan', ...bad]],
    [ZX, ['tasks/plan.mjs', ...bad]],
    [JUST, ['plan', ...bad]],
  ] as const) {
    await assert.rejects(
      run(command, [...argv], { cwd: ROOT, env, timeout: 120_000 }),
      (e: { code: number; stderr: string }) => {
        assert.equal(e.code, 2, `${path.basename(command)} ${argv.join(' ')}`);
        // just echoes the recipe's command line and adds its own line saying the recipe failed.
        if (command === JUST)
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

test('every command has a zx task and a just recipe that run it with all its arguments', () => {
  const justfile = readFileSync(path.join(ROOT, 'Justfile'), 'utf8');
  // A recipe: its header line (name and parameters), then its indented body lines.
  const recipes = new Map<string, string[]>();
  let body: string[] | undefined;
  for (const line of justfile.split('\n')) {
    const header = /^([a-z][\w-]*( [^:]*)?):(?!=)/.exec(line);
    if (header) recipes.set(header[1]!, (body = []));
    else if (/^\s+\S/.test(line)) body?.push(line.trim());
    else if (!line.startsWith('#')) body = undefined;
  }
  const commands = buildProgram().commands.map((c) => c.name());
  // The task scripts that run a CLI command (the others, such as demo.mjs, do more).
  const tasks = readdirSync(path.join(ROOT, 'tasks'))
    .filter((f) => /runCommand\(/.test(readFileSync(path.join(ROOT, 'tasks', f), 'utf8')))
    .map((f) => f.replace(/\.mjs$/, ''))
    .filter((f) => f !== 'cli');
  assert.deepEqual(tasks.sort(), [...commands].sort(), 'one task script per command');
  const problems: string[] = [];
  for (const name of commands) {
    const recipe = recipes.get(`${name} *args`);
    if (JSON.stringify(recipe) !== JSON.stringify([`npx zx tasks/${name}.mjs "$@"`]))
      problems.push(`Justfile: ${name} *args: ${JSON.stringify(recipe)}`);
    const task = readFileSync(path.join(ROOT, `tasks/${name}.mjs`), 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !/^(#!|\/\/)/.test(l));
    // (A pattern: the test bundler rewrites the words import.meta.url written out in this file.)
    const call = new RegExp(`^await runCommand\\('${name}', import\\.meta\\.url\\);$`);
    if (task.length !== 2 || task[0] !== "import { runCommand } from './cli.mjs';" || !call.test(task[1]!))
      problems.push(`tasks/${name}.mjs: ${JSON.stringify(task)}`);
  }
  assert.deepEqual(problems, []);
});
