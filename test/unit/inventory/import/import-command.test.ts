// `nix-hive import`: normalised YAML with a `$schema` line that validates against
// schema/inventory.schema.json, reads back to the same instances, and keeps sensitive values private. The
// redirected stdout runs the real bin; the other cases run the CLI's main() in this process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import YAML from 'yaml';
import { BIN, runInProcess } from '../../../helpers/cli.ts';
import { config, folder, resolveIn, summary } from './support.ts';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = folder();

/** `nix-hive import …` in `dir`, in this process. */
const cli = (...args: string[]) => runInProcess(dir, ['import', ...args]);

function inventoryValidator() {
  const Ajv = AjvModule.default;
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  const hive = JSON.parse(readFileSync(path.join(ROOT, 'schema/hive.schema.json'), 'utf8'));
  delete hive.$id;
  ajv.addSchema(hive, 'hive.schema.json');
  return ajv.compile(JSON.parse(readFileSync(path.join(ROOT, 'schema/inventory.schema.json'), 'utf8')));
}

test('a terraform state becomes inventory YAML that validates and reads back to the same instances', async () => {
  const r = await cli('inventory/terraform-state/state.json', '-o', 'out/state.yaml');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'nix-hive: wrote 7 instances to out/state.yaml\n');
  const text = readFileSync(path.join(dir, 'out/state.yaml'), 'utf8');
  assert.match(
    text,
    /^# Imported by nix-hive from state\.json \(terraform-state\)\.\n\$schema: \S*schema\/inventory\.schema\.json\n/,
  );
  const schemaPath = /\$schema: (.*)/.exec(text)![1]!;
  assert.equal(path.resolve(dir, 'out', schemaPath), path.join(ROOT, 'schema/inventory.schema.json'));
  assert.match(text, /\nwww-0:\n  system: www\n  address: 10\.4\.1\.10\n  tags: \[web, canary\]\n/);
  const validate = inventoryValidator();
  assert.ok(validate(YAML.parse(text)), JSON.stringify(validate.errors));
  const direct = resolveIn(dir, config({ inventory: ['inventory/terraform-state/state.json'] }));
  const back = resolveIn(dir, config({ inventory: ['out/state.yaml'] }));
  assert.deepEqual(back.lines, []);
  assert.deepEqual(summary(back.hive), summary(direct.hive));
});

test('every format imports to stdout; the fixtures validate against the inventory schema', async () => {
  const validate = inventoryValidator();
  for (const f of [
    'terraform-output/outputs.json',
    'pulumi/stack.json',
    'plain/list.json',
    'plain/www.yaml',
  ]) {
    const r = await cli(`inventory/${f}`);
    assert.equal(r.code, 0, `${f}: ${r.stderr}`);
    assert.ok(validate(YAML.parse(r.stdout)), `${f}: ${JSON.stringify(validate.errors)}`);
  }
  assert.ok(validate(YAML.parse(readFileSync(path.join(ROOT, 'example/inventory/www.yaml'), 'utf8'))));
  assert.ok(!validate({ 'www-1': { adress: 'x' } }));
});

test('a sensitive output is written only when named, then with mode 0600 and a note', async () => {
  const existing = path.join(dir, 'out-existing.yaml');
  writeFileSync(existing, '# was here\n', { mode: 0o644 });
  // A reader that opened the old, world-readable file must not see the sensitive instances through it: they
  // go into a new 0600 file renamed over it, never into the old one (seen failing when written in place).
  const reader = openSync(existing, 'r');
  try {
    assert.equal(
      (
        await cli(
          'inventory/terraform-output/outputs.json',
          '--outputs',
          'workers',
          '-o',
          'out-existing.yaml',
        )
      ).code,
      0,
    );
    assert.equal(readFileSync(reader, 'utf8'), '# was here\n');
  } finally {
    closeSync(reader);
  }
  assert.equal(statSync(existing).mode & 0o777, 0o600);
  assert.match(readFileSync(existing, 'utf8'), /worker/);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
    'no temp file is left',
  );
  const plain = await cli('inventory/terraform-output/outputs.json');
  assert.doesNotMatch(plain.stdout, /worker|hunter2/);
  const r = await cli(
    'inventory/terraform-output/outputs.json',
    '--outputs',
    'workers',
    '-o',
    'out/workers.yaml',
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stderr,
    'nix-hive: wrote 2 instances to out/workers.yaml\n' +
      'nix-hive: note: some instances come from sensitive values (the file has mode 0600); keep them private\n',
  );
  assert.equal(statSync(path.join(dir, 'out/workers.yaml')).mode & 0o777, 0o600);
  assert.doesNotMatch(readFileSync(path.join(dir, 'out/workers.yaml'), 'utf8'), /hunter2/);
});

test('state options on the command line', async () => {
  const r = await cli(
    'inventory/terraform-state/state.json',
    '--resources',
    'aws_instance.untagged, module.db.*',
    '--name-tag',
    'Name',
    '--address-from',
    'private_ip,ipv4_address',
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(Object.keys(YAML.parse(r.stdout)), [
    '$schema',
    'scratch',
    'db-primary-0',
    'db-replica-eu-2-node-0',
  ]);
});

test('bad input: exit 2, one line naming the file or flag, nothing on stdout', async () => {
  const cases: Array<[string[], string]> = [
    [
      ['inventory/bad/malformed.json'],
      'nix-hive: inventory/bad/malformed.json: cannot parse JSON: unexpected character at line 4, column 41\n',
    ],
    [['inventory/nope.json'], 'nix-hive: inventory/nope.json: file not found\n'],
    [
      ['inventory/plain/www.yaml', '--format', 'yml'],
      'nix-hive: --format: unknown format "yml"; expected one of auto, instances, terraform-output, terraform-state, pulumi-output\n',
    ],
    [
      ['inventory/terraform-output/outputs.json', '--outputs', 'db_pasword'],
      'nix-hive: inventory/terraform-output/outputs.json: no output "db_pasword" (did you mean "db_password"?)\n',
    ],
    [
      ['inventory/terraform-output/outputs.json', '--outputs', 'db_password'],
      'nix-hive: inventory/terraform-output/outputs.json: db_password: is not an instance, a map name → instance or a list of instances (an instance is an object with an "address"); convert it with a map function\n',
    ],
  ];
  for (const [args, stderr] of cases) {
    const r = await cli(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, stderr);
  }
});

test('to stdout, $schema is relative to the file stdout is redirected to, and absolute into a pipe', async () => {
  mkdirSync(path.join(dir, 'inventory-out'), { recursive: true });
  const file = path.join(dir, 'inventory-out', 'web.yaml');
  const fd = openSync(file, 'w');
  try {
    const r = spawnSync(process.execPath, [BIN, 'import', 'inventory/terraform-output/outputs.json'], {
      cwd: dir,
      stdio: ['ignore', fd, 'pipe'],
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    closeSync(fd);
  }
  const schema = /^\$schema: (.*)$/m.exec(readFileSync(file, 'utf8'))![1]!;
  assert.ok(!path.isAbsolute(schema), schema);
  assert.equal(path.resolve(path.dirname(file), schema), path.join(ROOT, 'schema/inventory.schema.json'));
  const piped = /^\$schema: (.*)$/m.exec((await cli('inventory/terraform-output/outputs.json')).stdout)![1]!;
  assert.equal(piped, path.join(ROOT, 'schema/inventory.schema.json'));
});
