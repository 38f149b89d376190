import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadHive } from '../../../lib/inventory/index.ts';
import { ConfigLoadError } from '../../../lib/errors.ts';
import { problemLinesAsync } from './fixtures.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { runCompiled } from '../../helpers/cli.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/configs/', import.meta.url));
const fixture = (p: string) => path.join(FIXTURES, p);
const WEB_NIX = fixture('valid/modules/web.nix');
const KEY = fixture('valid/keys/hive.sec');

/** A temp folder outside the repository holding `files`. */
function tempHive(files: Record<string, string>): string {
  const dir = tempDir('nix-hive-load-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

test('-c accepts a file or a folder; relative paths resolve against the config folder', async () => {
  for (const arg of [fixture('valid'), fixture('valid/hive.config.ts')]) {
    const h = await loadHive(arg);
    assert.equal(h.configFile, fixture('valid/hive.config.ts'));
    assert.equal(h.root, fixture('valid'));
    assert.deepEqual(h.systems.web!.modules, [WEB_NIX]);
    assert.deepEqual(h.systems.web!.paths, [['nixpkgs', fixture('valid/nixpkgs')]]);
    assert.deepEqual(h.signingKey, { kind: 'file', file: KEY });
    assert.equal(h.instances['web-1']!.ssh.IdentityFile, fixture('valid/keys/client'));
  }
});

test('the default is ./hive.config.ts in the working folder', async () => {
  const before = process.cwd();
  process.chdir(fixture('valid'));
  try {
    assert.equal((await loadHive(undefined)).configFile, fixture('valid/hive.config.ts'));
  } finally {
    process.chdir(before);
  }
});

test("import { defineHive } from 'nix-hive' works from a config outside the repository", async () => {
  const dir = tempHive({
    'hive.config.ts': [
      "import { defineHive } from 'nix-hive';",
      'const modules: string[] = [' + JSON.stringify(WEB_NIX) + '];',
      'export default defineHive({ systems: { web: { modules } }, instances: { a: { system: "web", address: "a" } } });',
    ].join('\n'),
  });
  const h = await loadHive(dir);
  assert.equal(h.instances.a!.system, 'web');
  assert.ok(!dir.startsWith(path.resolve(FIXTURES, '../../..')));
});

test('a plain default export, a function, top-level await, YAML and JSON configs all load', async () => {
  assert.deepEqual(Object.keys((await loadHive(fixture('plain'))).instances), ['web-1']);
  const dir = tempHive({
    'fn.ts': `export default async () => ({ systems: { web: { modules: [${JSON.stringify(WEB_NIX)}] } } });`,
    'tla.ts': `const m = await Promise.resolve(${JSON.stringify(WEB_NIX)});\nexport default { systems: { s: { modules: [m] } } };`,
  });
  assert.deepEqual(Object.keys((await loadHive(path.join(dir, 'fn.ts'))).systems), ['web']);
  assert.deepEqual(Object.keys((await loadHive(path.join(dir, 'tla.ts'))).systems), ['s']);
  assert.equal((await loadHive(fixture('yaml'))).instances['web-1']!.port, 2222);
  assert.deepEqual((await loadHive(fixture('json'))).instances['web-1']!.tags, ['json']);
});

test('load failures are one ConfigLoadError line naming the file', async () => {
  const dir = tempHive({
    'syntax.ts': 'export default {\n  systems: { a: { modules: [ } },\n};\n',
    'throws.ts': 'const x = 1;\nthrow new Error("boom");\nexport default {};\n',
    'import.ts': "import x from './nope.ts';\nexport default x;\n",
    'named.ts': 'export const hive = {};\n',
    'string.ts': 'throw "plain\\nstring";\nexport default {};\n',
    'bad.yaml': 'systems: [\n',
    'bad.json': '{ "systems": }',
    'empty/readme': '',
  });
  const cases: Array<[string, string]> = [
    ['syntax.ts', 'cannot load: syntax error at line 2, column 30: Unexpected "}"'],
    ['throws.ts', 'cannot load: Error: boom (line 2)'],
    ['import.ts', `cannot load: Cannot find module '${dir}/nope.ts'`],
    ['named.ts', 'has no default export (export default defineHive({…}))'],
    ['string.ts', 'cannot load: threw plain'],
    [
      'bad.yaml',
      'cannot parse: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1',
    ],
    ['bad.json', "cannot parse: Unexpected token '}' (not valid JSON)"],
    ['missing.ts', 'config file not found'],
    ['empty', 'no hive.config.ts in this folder'],
  ];
  for (const [file, message] of cases) {
    const target = path.join(dir, file);
    await assert.rejects(loadHive(target), (e: unknown) => {
      assert.ok(e instanceof ConfigLoadError, file);
      assert.equal(e.code, 'E_CONFIG_LOAD');
      assert.equal(e.message, `${target}: ${message}`);
      return true;
    });
  }
});

test('module files are checked on disk; the signing key is not read at load (only the steps that sign read it)', async () => {
  const dir = tempHive({
    'keys/bad.sec': 'not a key\n',
    'hive.config.ts': `export default {
      signingKey: process.env.KEY,
      systems: { web: { modules: [${JSON.stringify(WEB_NIX)}, './missing.nix', './keys'] } },
      instances: { a: { system: 'web', address: 'a' }, b: { system: 'web', address: 'b', store: 'a' } },
    };`,
  });
  const lines = async (key: string | undefined) => {
    if (key === undefined) delete process.env.KEY;
    else process.env.KEY = key;
    return problemLinesAsync(() => loadHive(dir));
  };
  const modules = [
    `systems.web.modules[1]: file not found: ${dir}/missing.nix`,
    `systems.web.modules[2]: not a file: ${dir}/keys`,
  ];
  assert.deepEqual(await lines('./keys/nope.sec'), modules);
  assert.deepEqual(await lines('./keys/bad.sec'), modules);
  assert.equal((await lines(KEY)).length, 2);
  delete process.env.KEY;
  // An unreadable key: loading does not read it; a run that signs refuses it before anything starts. Root reads
  // every file (and CI runs as root), so the compiled CLI (one process, loading it as the bin does) runs as
  // nobody there.
  chmodSync(path.join(dir, 'keys/bad.sec'), 0o000);
  writeFileSync(
    path.join(dir, 'signs.config.ts'),
    `export default {
      signingKey: './keys/bad.sec',
      systems: { web: { modules: [${JSON.stringify(WEB_NIX)}] } },
      instances: { a: { system: 'web', address: 'a' }, b: { system: 'web', address: 'b', store: 'a' } },
    };`,
  );
  chmodSync(dir, 0o755);
  // Its own TMPDIR, writable by nobody (tsx keeps its cache there), removed with the folder.
  const tmp = path.join(dir, 'tmp');
  mkdirSync(tmp, { mode: 0o1777 });
  chmodSync(tmp, 0o1777);
  const asNobody =
    process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'] : [];
  const [config, signs] = (
    await runCompiled(
      [
        { cwd: process.cwd(), args: ['ssh-config', '-c', dir] },
        { cwd: process.cwd(), args: ['deploy', '-c', path.join(dir, 'signs.config.ts')] },
      ],
      { KEY: './keys/bad.sec', TMPDIR: tmp },
      { wrapper: asNobody },
    )
  ).map((r) => ({ code: r.code, lines: r.stderr.split('\n').filter(Boolean) }));
  assert.deepEqual(config, { code: 2, lines: modules.map((l) => `nix-hive: ${l}`) });
  assert.deepEqual(signs, {
    code: 2,
    lines: [`nix-hive: signingKey: file not readable: ${dir}/keys/bad.sec`],
  });
});

test("the repository's own hive.config.ts and the example load cleanly", async () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const own = await loadHive(root);
  assert.deepEqual(Object.keys(own.instances), ['portico', 'www-1', 'www-2']);
  const saved = process.env.NIX_HIVE_FLEET;
  delete process.env.NIX_HIVE_FLEET;
  try {
    const example = await loadHive(path.join(root, 'example'));
    // portico and storage from the config, then www-1..3 from example/inventory/www.yaml.
    assert.deepEqual(Object.keys(example.instances), ['portico', 'storage', 'www-1', 'www-2', 'www-3']);
    assert.equal(example.instances.storage!.via, 'portico');
    assert.equal(example.instances['www-3']!.store?.kind, 'instance');
  } finally {
    if (saved !== undefined) process.env.NIX_HIVE_FLEET = saved;
  }
});
