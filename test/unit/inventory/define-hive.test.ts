// defineHive is the identity, typed for the editor: the TypeScript compiler itself is asked whether a typo,
// a wrong type or a missing field in a config is a type error, and whether a correct config is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import ts from 'typescript';
import { defineHive } from 'nix-hive';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/** Type-checks one virtual config file importing `nix-hive`; returns its diagnostics, one line each. */
function typeErrors(body: string): string[] {
  const file = path.join(ROOT, 'test/unit/inventory/__virtual-hive.config.ts');
  const source = `import { defineHive } from 'nix-hive';\nexport default defineHive(${body});\n`;
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
  host.getSourceFile = (name, lang, ...rest) =>
    name === file ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], parsed.options, host);
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(file))
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
}

test('defineHive returns its argument unchanged', () => {
  const hive = { systems: { web: { modules: ['./web.nix'] } } };
  assert.equal(defineHive(hive), hive);
});

test('typos, wrong types and a missing field are type errors; a correct config is not', () => {
  const systems = `systems: { web: { modules: ['./web.nix'] } }`;
  assert.deepEqual(
    typeErrors(`{ ${systems}, instances: { a: { system: 'web', address: 'a', port: 22 } } }`),
    [],
  );
  const typo = typeErrors(`{ ${systems}, instances: { a: { system: 'web', adress: '10.0.0.1' } } }`);
  assert.equal(typo.length, 1);
  assert.match(typo[0]!, /'adress' does not exist/);
  const port = typeErrors(`{ ${systems}, instances: { a: { system: 'web', address: 'a', port: '22' } } }`);
  assert.equal(port.length, 1);
  assert.match(port[0]!, /'string' is not assignable to type 'number'/);
  // `systems` may be omitted (a hive-level `flake` gives them), but an instance's address may not.
  const missing = typeErrors(`{ flake: '.', instances: { a: { system: 'web' } } }`);
  assert.equal(missing.length, 1);
  assert.match(missing[0]!, /'address' is missing/);
  const flake = typeErrors(`{ flake: true, instances: {} }`);
  assert.equal(flake.length, 1);
  assert.match(flake[0]!, /'boolean' is not assignable to type 'string'/);
});
