// The compiled CLI (bin/dist.mjs) is never run stale: in a copy of the package, a source edited, added,
// removed or renamed (mtime kept) makes the bin rebuild dist/ before it runs; if dist/ cannot be built, the bin
// runs the TypeScript sources instead (these edit a copy of the package). The bundle finds the package's own
// files (schema, hive.nix) and gives a hive.config.ts's `import … from 'nix-hive'` the running library (these
// run this checkout's compiled CLI, as the bin loads it: its dist/ is fresh, test/run.mjs built it, so nothing
// is built again).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runCompiled, runInProcess, type CliResult } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const copy = tempDir('nix-hive-dist-');
for (const p of ['lib', 'schema', 'bin', 'package.json', 'tsconfig.json'])
  cpSync(path.join(ROOT, p), path.join(copy, p), { recursive: true });
symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));

const MAIN = path.join(copy, 'lib/cli/main.ts');
const DESCRIPTION = 'Deploy NixOS to fleets: build once, push through store hosts, activate in order.';

function node(args: string[], cwd = copy) {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
// The copy's own bin/dist.mjs, loaded here: the freshness probes call it without a node start each (the first
// test runs `node bin/dist.mjs` and `--check` as processes, as npm and users do).
const dist = (await import(pathToFileURL(path.join(copy, 'bin/dist.mjs')).href)) as {
  isFresh: () => boolean;
  inputSignature: () => string;
};
const fresh = () => dist.isFresh();
const help = () => node(['bin/nix-hive.mjs', '--help']).stdout;
const describeAs = (text: string) =>
  writeFileSync(
    MAIN,
    readFileSync(MAIN, 'utf8').replace(/\.description\('[^']*'\)/, `.description('${text}')`),
  );

test('a built dist/ is fresh; an edited source makes it stale and the bin runs the edit', () => {
  assert.equal(node(['bin/dist.mjs']).code, 0);
  assert.equal(node(['bin/dist.mjs', '--check']).code, 0);
  assert.ok(fresh());
  assert.match(help(), new RegExp(DESCRIPTION.replace(/[.]/g, '\\.')));
  describeAs('Edited description one');
  assert.equal(node(['bin/dist.mjs', '--check']).code, 1, 'an edit makes dist/ stale');
  assert.ok(!fresh());
  assert.match(help(), /Edited description one/);
  assert.ok(fresh(), 'the bin rebuilt it');
});

// dist/ is fresh while the signature its build recorded equals the inputs' signature now (the first test: a
// build records it, an edit changes it), so each change is checked against the signature a build just before
// it would have recorded; nothing is built.
test('an added, removed or renamed file (mtime kept) makes dist/ stale', () => {
  const extra = path.join(copy, 'lib/extra-file.ts');
  const before = dist.inputSignature();
  writeFileSync(extra, '// nothing\nexport {};\n');
  const added = dist.inputSignature();
  assert.notEqual(added, before, 'added');
  rmSync(extra);
  assert.notEqual(dist.inputSignature(), added, 'removed');
  const errors = path.join(copy, 'lib/errors.ts');
  const lib = path.dirname(errors);
  const past = new Date('2020-01-01T00:00:00Z');
  const backdate = () => [errors, lib].forEach((p) => utimesSync(p, past, past));
  backdate();
  const backdated = dist.inputSignature();
  renameSync(errors, `${errors}.x`);
  renameSync(`${errors}.x`, errors);
  backdate();
  assert.deepEqual([statSync(errors).mtimeMs, statSync(lib).mtimeMs], [past.getTime(), past.getTime()]);
  assert.notEqual(
    dist.inputSignature(),
    backdated,
    'renamed away and back, mtimes restored (its ctime tells)',
  );
});

test('without a buildable dist/ the bin runs the sources, not an old bundle', () => {
  describeAs('Edited description two');
  rmSync(path.join(copy, 'dist'), { recursive: true, force: true });
  writeFileSync(path.join(copy, 'dist'), 'not a folder: nothing can be built here\n');
  const r = node(['bin/nix-hive.mjs', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Edited description two/);
  rmSync(path.join(copy, 'dist'));
});

// The last three tests read their answers from one process running the checkout's compiled CLI (loaded as the
// bin loads it: bin/dist.mjs's loadRun), started at the first of them: one node start and bundle load for all.
let batch: Promise<{ library: CliResult; version: CliResult[]; validator: CliResult; validatorHive: string }>;
function compiledAnswers() {
  batch ??= (async () => {
    // In the copy, `nix-hive` would name the copy's own lib/ (a second library) but for the loader's hook.
    const libraryHive = mkdtempSync(path.join(copy, 'hive-'));
    writeFileSync(path.join(libraryHive, 'web.nix'), '{ }\n');
    writeFileSync(
      path.join(libraryHive, 'hive.config.ts'),
      [
        "import { defineHive, HiveError } from 'nix-hive';",
        "const running = (globalThis as Record<symbol, { HiveError?: unknown }>)[Symbol.for('nix-hive.library')];",
        "if (running?.HiveError !== HiveError) throw new Error('a second copy of nix-hive');",
        "export default defineHive({ systems: { web: { modules: ['./web.nix'] } }, instances: { www: { system: 'web', address: '10.0.0.1', prot: 22 } } });",
      ].join('\n'),
    );
    const validatorHive = mkdtempSync(path.join(copy, 'validator-'));
    writeFileSync(path.join(validatorHive, 'web.nix'), '{ }\n');
    const config = {
      compress: 'yes',
      systems: { web: { modules: ['./web.nix'], sytem: 'x86_64-linux' } },
      defaults: { port: 'ssh' },
      instances: {
        www: { system: 'web', address: 'a b', prot: 22, tags: ['ok', 'ok'], hostKeys: ['nope'] },
        db: { system: 'web' },
      },
    };
    writeFileSync(path.join(validatorHive, 'hive.config.json'), JSON.stringify(config));
    const [library, v1, v2, validator] = await runCompiled(
      [
        { cwd: libraryHive, args: ['ssh-config'] },
        { cwd: ROOT, args: ['--version'] },
        { cwd: ROOT, args: ['-V'] },
        { cwd: validatorHive, args: ['ssh-config'] },
      ],
      { NIX_HIVE_SOURCES: '' },
    );
    return { library: library!, version: [v1!, v2!], validator: validator!, validatorHive };
  })();
  return batch;
}

test('the bundle reads the schema and hands a config the running library', async () => {
  const r = (await compiledAnswers()).library;
  // The schema check runs (it names the typo), so the bundle found schema/hive.schema.json.
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr, 'nix-hive: instances.www.prot: unknown key (did you mean "port"?)\n');
});

test("nix-hive --version and -V print package.json's version", async () => {
  const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  assert.deepEqual(
    (await compiledAnswers()).version.map((r) => [r.code, r.stdout, r.stderr]),
    [
      [0, `${version}\n`, ''],
      [0, `${version}\n`, ''],
    ],
  );
});

test('the bundle’s precompiled schema validator reports exactly what ajv compiled at run time does', async () => {
  const { validator: compiled, validatorHive } = await compiledAnswers();
  // The library's main() in this test process: lib/inventory/validate/hive-validator.ts as written, which compiles the
  // schema with ajv at run time (only bin/dist.mjs swaps in the standalone code).
  const sources = await runInProcess(validatorHive, ['ssh-config']);
  assert.equal(compiled.code, 2, compiled.stderr);
  assert.ok(compiled.stderr.split('\n').filter(Boolean).length >= 7, compiled.stderr);
  assert.equal(compiled.stderr, sources.stderr);
  assert.equal(sources.code, 2);
});
