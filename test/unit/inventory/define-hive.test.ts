// defineHive is the identity, typed for the editor: the TypeScript compiler itself is asked whether a typo,
// a wrong type or a missing field in a config is a type error, and whether a correct config is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import ts from 'typescript';
import { defineHive } from 'nix-hive';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/**
 * Type-checks virtual config files, each importing `nix-hive` (one compiler program for all: the library and
 * node's types are read and checked once); returns each file's diagnostics, one line each.
 */
function typeErrors(...bodies: string[]): string[][] {
  const files = bodies.map((_, i) => path.join(ROOT, `test/unit/inventory/__virtual-hive-${i}.config.ts`));
  const sources = new Map(
    files.map((f, i) => [
      f,
      `import { defineHive } from 'nix-hive';\nexport default defineHive(${bodies[i]});\n`,
    ]),
  );
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => {},
    },
  )!;
  const host = ts.createCompilerHost(parsed.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => {
    const source = sources.get(name);
    return source === undefined
      ? getSourceFile(name, lang, ...rest)
      : ts.createSourceFile(name, source, lang);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => sources.has(name) || fileExists(name);
  const program = ts.createProgram(files, parsed.options, host);
  return files.map((f) =>
    ts
      .getPreEmitDiagnostics(program, program.getSourceFile(f))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')),
  );
}

test('defineHive returns its argument unchanged', () => {
  const hive = { systems: { web: { modules: ['./web.nix'] } } };
  assert.equal(defineHive(hive), hive);
});

test('typos, wrong types and a missing field are type errors; a correct config is not', () => {
  const systems = `systems: { web: { modules: ['./web.nix'] } }`;
  const [correct, typo, port, missing, flake] = typeErrors(
    `{ ${systems}, instances: { a: { system: 'web', address: 'a', port: 22 } } }`,
    `{ ${systems}, instances: { a: { system: 'web', adress: '10.0.0.1' } } }`,
    `{ ${systems}, instances: { a: { system: 'web', address: 'a', port: '22' } } }`,
    // `systems` may be omitted (a hive-level `flake` gives them), but an instance's address may not.
    `{ flake: '.', instances: { a: { system: 'web' } } }`,
    `{ flake: true, instances: {} }`,
  );
  assert.deepEqual(correct, []);
  assert.equal(typo!.length, 1);
  assert.match(typo![0]!, /'adress' does not exist/);
  assert.equal(port!.length, 1);
  assert.match(port![0]!, /'string' is not assignable to type 'number'/);
  assert.equal(missing!.length, 1);
  assert.match(missing![0]!, /'address' is missing/);
  assert.equal(flake!.length, 1);
  assert.match(flake![0]!, /'boolean' is not assignable to type 'string'/);
});
