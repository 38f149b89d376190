// The bad-input catalogue: broken configs and arguments fed through the real CLI. Each must exit 2, print
// exactly one `nix-hive: <path>: <message>` line per problem on stderr (nothing on stdout), and start no
// nix or ssh process: a PATH shim of nix, nix-build, nix-store, nix-instantiate, nix-env, ssh and scp
// records any call (with its working folder) in a marker file, which must stay empty. Every case runs as
// written through the compiled CLI (one process for all, loading the bundle as the bin does), and after them,
// in that process, the control case, whose build the shim must catch (its line names the control's folder).
// The cases also run in this process (the CLI's main() with its cwd, PATH and output captured: fast), where a
// hive written as data (hive() below) is read from the same object as hive.config.json: a .ts config costs a
// tsx import (~30 ms) each, and what the checks say does not depend on the format the object came in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCompiled, runInProcess as inProcess, type CliResult, type EnvEdit } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODULE = path.join(ROOT, 'test/fixtures/configs/valid/modules/web.nix');
const KEY = path.join(ROOT, 'test/fixtures/configs/valid/keys/hive.sec');
const NAME_RULE =
  'must start with a letter, digit or "_" and contain only letters, digits, ".", "_" and "-" (at most 63)';

const work = tempDir('nix-hive-catalogue-');
const shimDir = path.join(work, 'shim');
const marker = path.join(work, 'marker');
mkdirSync(shimDir);
for (const tool of [
  'nix',
  'nix-build',
  'nix-store',
  'nix-instantiate',
  'nix-env',
  'nix-copy-closure',
  'ssh',
  'scp',
]) {
  const file = path.join(shimDir, tool);
  writeFileSync(file, `#!/bin/sh\necho "$(pwd -P): ${tool} $*" >> '${marker}'\nexit 1\n`);
  chmodSync(file, 0o755);
}

type Json = Record<string, unknown>;

/** A valid hive: portico the jump box and store, www-1 behind it. */
function base(): Json {
  return {
    signingKey: KEY,
    systems: { web: { modules: [MODULE] }, gate: { modules: [MODULE] } },
    instances: {
      portico: { system: 'gate', address: '203.0.113.10' },
      'www-1': { system: 'web', address: '10.0.0.11', via: 'portico', store: 'portico', tags: ['web'] },
    },
  };
}

/** Each hive.config.ts text hive() wrote, and the object it exports. */
const written = new Map<string, Json>();

/** The base hive with `edit` applied, as a hive.config.ts. */
function hive(edit: (h: Json & { instances: Record<string, Json>; systems: Record<string, Json> }) => void) {
  const h = base() as Json & { instances: Record<string, Json>; systems: Record<string, Json> };
  edit(h);
  const text = `export default ${JSON.stringify(h, null, 2)};\n`;
  written.set(text, h);
  return { 'hive.config.ts': text };
}

interface Case {
  name: string;
  files?: Record<string, string>;
  args?: string[];
  /** Expected stderr lines without the `nix-hive: ` prefix; `$DIR` is the case's folder. */
  expect: string[];
}

const www = (h: { instances: Record<string, Json> }) => h.instances['www-1']!;

const cases: Case[] = [
  // --- references and did-you-mean
  {
    name: 'store typo',
    files: hive((h) => (www(h).store = 'portco')),
    expect: ['instances.www-1.store: unknown instance "portco" (did you mean "portico"?)'],
  },
  {
    name: 'system typo',
    files: hive((h) => (www(h).system = 'wbe')),
    expect: ['instances.www-1.system: unknown system "wbe" (did you mean "web"?)'],
  },
  {
    name: 'via unknown',
    files: hive((h) => (www(h).via = 'bastion')),
    expect: ['instances.www-1.via: unknown instance "bastion"'],
  },
  {
    name: 'defaults.via unknown',
    files: hive((h) => (h.defaults = { via: 'portco' })),
    expect: ['defaults.via: unknown instance "portco" (did you mean "portico"?)'],
  },
  {
    name: 'system missing',
    files: hive((h) => delete www(h).system),
    expect: ['instances.www-1.system: required field missing (or set defaults.system)'],
  },
  // --- unknown keys
  {
    name: 'adress typo',
    files: hive((h) => {
      www(h).adress = www(h).address;
      delete www(h).address;
    }),
    expect: [
      'instances.www-1.address: required field missing',
      'instances.www-1.adress: unknown key (did you mean "address"?)',
    ],
  },
  {
    name: 'top-level typo',
    files: hive((h) => (h.instance = {})),
    expect: ['instance: unknown key (did you mean "instances"?)'],
  },
  {
    name: 'system key typo',
    files: hive((h) => (h.systems.web!.sytem = 'x86_64-linux')),
    expect: ['systems.web.sytem: unknown key (did you mean "system"?)'],
  },
  // --- cycles
  {
    name: 'via cycle',
    files: hive((h) => (h.instances.portico!.via = 'www-1')),
    expect: ['instances.portico.via: cycle: portico → www-1 → portico'],
  },
  {
    name: 'store cycle',
    files: hive((h) => (h.instances.portico!.store = 'www-1')),
    expect: ['instances.portico.store: cycle: portico → www-1 → portico'],
  },
  {
    name: 'own jump host',
    files: hive((h) => (www(h).via = 'www-1')),
    expect: ['instances.www-1.via: "www-1" cannot be its own jump host'],
  },
  // --- files
  {
    name: 'module missing',
    files: hive((h) => (h.systems.web!.modules = ['./nope.nix'])),
    expect: ['systems.web.modules[0]: file not found: $DIR/nope.nix'],
  },
  {
    name: 'no modules',
    files: hive((h) => (h.systems.web!.modules = [])),
    expect: ['systems.web.modules: must list at least 1 item'],
  },
  {
    name: 'signing key missing',
    files: hive((h) => (h.signingKey = './keys/hive.sec')),
    args: ['deploy'],
    expect: ['signingKey: file not found: $DIR/keys/hive.sec'],
  },
  {
    name: 'signing key not a key',
    files: { ...hive((h) => (h.signingKey = './hive.pub')), 'hive.pub': 'ssh-ed25519 AAAA\n' },
    args: ['deploy'],
    expect: ['signingKey: not a Nix secret key (expected "name:base64…"): $DIR/hive.pub'],
  },
  {
    name: 'signing key absent',
    files: hive((h) => delete h.signingKey),
    expect: [
      'signingKey: required field missing: instances use a store, so pushed paths must be signed (create a key with: nix-store --generate-binary-cache-key <name> hive.sec hive.pub)',
    ],
  },
  {
    name: 'signing key from an unset environment variable',
    files: hive((h) => (h.signingKey = { env: 'NIX_HIVE_TEST_UNSET_KEY' })),
    args: ['deploy'],
    expect: ['signingKey.env: the environment variable NIX_HIVE_TEST_UNSET_KEY is not set'],
  },
  {
    name: 'signing key with both command and env',
    files: hive((h) => (h.signingKey = { command: ['pass', 'hive'], env: 'K' })),
    expect: ['signingKey: give either command or env, not both'],
  },
  // --- keys
  {
    name: 'key with two sources',
    files: hive((h) => (www(h).keys = { db: { text: 'x', file: './db.key' } })),
    expect: ['instances.www-1.keys.db: has text and file; give exactly one source (text, file or command)'],
  },
  {
    name: 'key without a source',
    files: hive((h) => (h.systems.web!.keys = { db: { path: '/run/keys/db' } })),
    expect: ['systems.web.keys.db: needs exactly one source: text, file or command'],
  },
  {
    name: 'key path relative, destDir with ..',
    files: hive((h) => {
      www(h).keys = { a: { text: 'x', path: 'run/a' }, b: { text: 'y', destDir: '/run/keys/../etc' } };
    }),
    expect: [
      'instances.www-1.keys.a.path: must be an absolute path, got "run/a"',
      'instances.www-1.keys.b.destDir: must not contain "." or ".." segments',
    ],
  },
  {
    name: 'key mode and owner',
    files: hive(
      (h) => (h.defaults = { keys: { db: { text: 'x', mode: '0999', user: 'Root;x', group: '-g' } } }),
    ),
    expect: [
      'defaults.keys.db.user: invalid value "Root;x": must be a Unix user name (lower case, starting with a letter or "_")',
      'defaults.keys.db.group: invalid value "-g": must be a Unix user name (lower case, starting with a letter or "_")',
      'defaults.keys.db.mode: invalid value "0999": must be an octal mode such as "0600" or "0440"',
    ],
  },
  {
    name: 'key in the Nix store',
    files: hive((h) => (www(h).keys = { db: { text: 'x', path: '/nix/store/db' } })),
    expect: ['instances.www-1.keys.db.path: must not be in the Nix store (it is world-readable)'],
  },
  {
    name: 'a key written as a bare string is not echoed',
    files: hive((h) => (www(h).keys = { db: 'hunter2-secret' })),
    expect: ['instances.www-1.keys.db: must be an object, got a string'],
  },
  {
    name: 'two keys to one destination',
    files: hive((h) => (www(h).keys = { a: { text: 'x', path: '/run/keys/b' }, b: { text: 'y' } })),
    expect: ['instances.www-1.keys.b: goes to /run/keys/b, like key "a"; give each key its own destination'],
  },
  // --- names and hostile strings
  {
    name: 'instance name with leading dash',
    files: hive((h) => (h.instances['-oProxyCommand=sh'] = { system: 'web', address: 'x' })),
    expect: [`instances["-oProxyCommand=sh"]: invalid name "-oProxyCommand=sh": ${NAME_RULE}`],
  },
  {
    name: 'system name with a space',
    files: hive((h) => (h.systems['my web'] = { modules: [MODULE] })),
    expect: [`systems["my web"]: invalid name "my web": ${NAME_RULE}`],
  },
  {
    name: 'system name with a slash',
    files: hive((h) => (h.systems['../x'] = { modules: [MODULE] })),
    expect: [`systems["../x"]: invalid name "../x": ${NAME_RULE}`],
  },
  {
    name: 'tag with leading dash',
    files: hive((h) => (www(h).tags = ['-web'])),
    expect: [`instances.www-1.tags[0]: invalid value "-web": ${NAME_RULE}`],
  },
  {
    name: 'address with leading dash',
    files: hive((h) => (www(h).address = '-oProxyCommand=touch /tmp/pwned')),
    expect: [
      'instances.www-1.address: invalid value "-oProxyCommand=touch /tmp/pwned": must be a host name or IP address (no spaces, "@", quotes or leading "-")',
    ],
  },
  {
    name: 'address with shell metacharacters',
    files: hive((h) => (www(h).address = 'x;reboot')),
    expect: [
      'instances.www-1.address: invalid value "x;reboot": must be a host name or IP address (no spaces, "@", quotes or leading "-")',
    ],
  },
  {
    name: 'user with quote',
    files: hive((h) => (www(h).user = "root'")),
    expect: [
      'instances.www-1.user: invalid value "root\'": must be a Unix user name (lower case, starting with a letter or "_")',
    ],
  },
  {
    name: 'ssh value with a line break',
    files: hive((h) => (www(h).ssh = { IdentityFile: '/k\nProxyCommand sh' })),
    expect: [
      'instances.www-1.ssh.IdentityFile: invalid value "/k\\nProxyCommand sh": must not contain line breaks',
    ],
  },
  {
    name: 'ssh option nix-hive sets',
    files: hive((h) => (www(h).ssh = { Port: 2222 })),
    expect: ['instances.www-1.ssh.Port: set by nix-hive from "port"; use instances.www-1.port instead'],
  },
  {
    name: 'host key malformed',
    files: hive((h) => (www(h).hostKeys = ['AAAAC3Nza'])),
    expect: [
      'instances.www-1.hostKeys[0]: invalid value "AAAAC3Nza": must be a public key line such as "ssh-ed25519 AAAA…"',
    ],
  },
  {
    name: 'search path with a space',
    files: hive((h) => (h.paths = { nixpkgs: '/a b' })),
    expect: ['paths.nixpkgs: invalid value "/a b": must not contain spaces or line breaks'],
  },
  // --- types and ranges
  {
    name: 'port out of range',
    files: hive((h) => (www(h).port = 70000)),
    expect: ['instances.www-1.port: must be between 1 and 65535, got 70000'],
  },
  {
    name: 'port as a string',
    files: hive((h) => (www(h).port = '22')),
    expect: ['instances.www-1.port: must be an integer, got "22"'],
  },
  {
    name: 'tags as a string',
    files: hive((h) => (www(h).tags = 'web')),
    expect: ['instances.www-1.tags: must be a list, got "web"'],
  },
  {
    name: 'duplicate tag',
    files: hive((h) => (www(h).tags = ['web', 'web'])),
    expect: ['instances.www-1.tags: duplicate item "web"'],
  },
  // --- store URIs
  {
    name: 'store scheme typo',
    files: hive((h) => (www(h).store = 'htps://cache.example.org')),
    expect: [
      'instances.www-1.store: malformed store URI "htps://cache.example.org": unknown scheme "htps" (did you mean "https"?)',
    ],
  },
  {
    name: 'store file URI relative',
    files: hive((h) => (www(h).store = 'file://cache')),
    expect: ['instances.www-1.store: malformed store URI "file://cache": file:// needs an absolute path'],
  },
  {
    name: 'store URI without host',
    files: hive((h) => (www(h).store = 'ssh-ng://')),
    expect: ['instances.www-1.store: malformed store URI "ssh-ng://": no host'],
  },
  // --- several at once
  {
    name: 'every problem at once',
    files: hive((h) => {
      www(h).store = 'portco';
      www(h).port = 0;
      h.instances.portico!.via = 'nowhere';
    }),
    expect: [
      'instances.www-1.port: must be between 1 and 65535, got 0',
      'instances.portico.via: unknown instance "nowhere"',
      'instances.www-1.store: unknown instance "portco" (did you mean "portico"?)',
    ],
  },
  // --- the config file itself
  {
    name: 'no systems',
    files: { 'hive.config.ts': 'export default { instances: {} };\n' },
    expect: ['systems: required field missing (or set `flake`)'],
  },
  {
    name: 'exports a list',
    files: { 'hive.config.ts': 'export default [];\n' },
    expect: ['config: must export a hive object (export default defineHive({…})), got a list'],
  },
  {
    name: 'syntax error',
    files: { 'hive.config.ts': 'export default {\n  systems: {,\n};\n' },
    expect: [
      'hive.config.ts: cannot load: syntax error at line 2, column 13: Expected identifier but found ","',
    ],
  },
  {
    name: 'config throws',
    files: {
      'hive.config.ts': 'const fleet = undefined as any;\nexport default { systems: fleet.systems };\n',
    },
    expect: [
      "hive.config.ts: cannot load: TypeError: Cannot read properties of undefined (reading 'systems') (line 2)",
    ],
  },
  {
    name: 'no default export',
    files: { 'hive.config.ts': 'export const hive = { systems: {} };\n' },
    expect: ['hive.config.ts: has no default export (export default defineHive({…}))'],
  },
  {
    name: 'config file missing',
    files: {},
    args: ['build', '-c', 'nope.ts'],
    expect: ['nope.ts: config file not found'],
  },
  {
    name: 'folder without a config',
    files: { 'sub/readme': '' },
    args: ['build', '-c', 'sub'],
    expect: ['sub: no hive.config.ts in this folder'],
  },
  {
    name: 'yaml parse error',
    files: { 'hive.config.yaml': 'systems: [\n' },
    expect: [
      'hive.config.yaml: cannot parse: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1',
    ],
  },
  {
    name: 'yaml duplicate instance',
    files: {
      'hive.config.yaml':
        'systems:\n  web: { modules: [x.nix] }\ninstances:\n  a: { system: web, address: a }\n  a: { system: web, address: b }\n',
    },
    expect: ['hive.config.yaml: cannot parse: Map keys must be unique at line 5, column 3'],
  },
  {
    name: 'names equal apart from case',
    files: hive((h) => (h.instances['WWW-1'] = { system: 'web', address: '10.0.0.12' })),
    expect: [
      'instances.WWW-1: same name as "www-1" apart from case (ssh Host aliases and file names would collide)',
    ],
  },
  {
    name: 'no config in the working folder',
    files: { 'notes.txt': '' },
    args: ['build', 'www-1'],
    expect: ['hive.config.ts: config file not found (give one with -c <file or folder>)'],
  },
  {
    name: 'store with a leading dash',
    files: hive((h) => (www(h).store = '-x')),
    expect: [
      'instances.www-1.store: invalid value "-x": must be an instance name or a Nix store URI (no spaces, no leading "-")',
    ],
  },
  {
    name: 'module path with a line break',
    files: hive((h) => (h.systems.web!.modules = ['./web.nix\n$(reboot)'])),
    expect: ['systems.web.modules[0]: invalid value "./web.nix\\n$(reboot)": must not contain line breaks'],
  },
  {
    name: 'json wrong type',
    files: { 'hive.config.json': '{ "systems": [] }' },
    expect: ['systems: must be an object, got a list'],
  },
  // --- arguments
  {
    name: 'unknown step',
    files: hive(() => {}),
    args: ['build', '--no', 'bild'],
    expect: ['--no: unknown step "bild" (did you mean "build"?)'],
  },
  {
    name: 'unknown step word',
    files: hive(() => {}),
    args: ['build', '--no', 'build,deploy'],
    expect: ['--no: unknown step "deploy"; expected a comma list of build, copy, activate, keys'],
  },
  {
    name: 'pattern matches nothing',
    files: hive(() => {}),
    args: ['build', 'portco'],
    expect: ['targets: "portco" matches no instance, system or tag (did you mean "portico"?)'],
  },
  {
    name: 'tag matches nothing',
    files: hive(() => {}),
    args: ['build', '@db'],
    expect: ['targets: "@db" matches no tag'],
  },
  {
    name: 'unclosed glob',
    files: hive(() => {}),
    args: ['build', 'www-[1'],
    expect: ['targets: invalid pattern "www-[1": unclosed "["'],
  },
  {
    name: 'everything excluded',
    files: hive(() => {}),
    args: ['build', '!*'],
    expect: ['targets: no instance left after excluding !*'],
  },
  {
    name: 'pattern with leading dash',
    files: hive(() => {}),
    args: ['build', '--', '-oProxyCommand=x'],
    expect: ['targets: "-oProxyCommand=x" matches no instance, system or tag'],
  },
  {
    name: 'pattern with a line break',
    files: hive(() => {}),
    args: ['build', 'www\n-1'],
    expect: ['targets: "www\\n-1" matches no instance, system or tag (did you mean "www-1"?)'],
  },
  {
    name: 'unknown option',
    files: hive(() => {}),
    args: ['build', '--frobnicate'],
    expect: ["unknown option '--frobnicate'"],
  },
  {
    name: '-c without a value',
    files: hive(() => {}),
    args: ['build', '-c'],
    expect: ["option '-c, --config <path>' argument missing"],
  },
  // --- inventory files (issue 7)
  {
    name: 'inventory: malformed JSON',
    files: {
      ...hive((h) => (h.inventory = ['inventory/*.json'])),
      'inventory/www.json': '{ "www-2": { "system": "web", "address": "10.0.0.12", } }',
    },
    expect: ['inventory/www.json: cannot parse JSON: unexpected character at line 1, column 55'],
  },
  {
    name: 'inventory: no instance-shaped output',
    files: {
      ...hive((h) => (h.inventory = ['inventory/tf.json'])),
      'inventory/tf.json': JSON.stringify({
        vpc_id: { sensitive: false, type: 'string', value: 'vpc-1' },
        token: { sensitive: true, type: 'string', value: 'tok-SECRET' },
      }),
    },
    expect: [
      'inventory/tf.json: no output holds instances (an instance is an object with an "address"; a map name → instance or a list of instances counts too); outputs: vpc_id (a string), token (sensitive, skipped); name the ones to import in `outputs`, with a map to convert them',
    ],
  },
  {
    name: 'inventory: unknown system in an imported instance names the file and key',
    files: {
      ...hive((h) => (h.inventory = ['inventory/www.yaml'])),
      'inventory/www.yaml': 'www-7:\n  system: wbe\n  address: 10.0.0.17\n',
    },
    expect: ['inventory/www.yaml: www-7.system: unknown system "wbe" (did you mean "web"?)'],
  },
  {
    name: 'inventory: a name in the config and a file',
    files: {
      ...hive((h) => (h.inventory = ['inventory/www.yaml'])),
      'inventory/www.yaml': 'www-1: { system: web, address: 10.0.0.21 }\n',
    },
    expect: [
      'instances.www-1: defined twice: in hive.config.ts and in inventory/www.yaml; to change an imported instance, use overrides',
    ],
  },
  {
    name: 'inventory: pattern matching no file',
    files: hive((h) => (h.inventory = ['inventory/*.json'])),
    expect: ['inventory[0]: "inventory/*.json" matches no file'],
  },
  {
    name: 'inventory: override of an unknown instance',
    files: hive((h) => (h.overrides = { 'www-2': { address: '10.0.0.2' } })),
    expect: ['overrides.www-2: unknown instance "www-2" (did you mean "www-1"?)'],
  },
  {
    name: 'import: a raw terraform.tfstate',
    files: { 'terraform.tfstate': '{ "version": 4, "lineage": "x", "resources": [] }' },
    args: ['import', 'terraform.tfstate'],
    expect: [
      'terraform.tfstate: a raw terraform.tfstate: use the output of `terraform show -json` (or `terraform output -json`)',
    ],
  },
  // --- issue 9: deploy/plan/run arguments and hostile words
  ...(
    [
      [
        ['deploy', '--goal', 'swtich'],
        '--goal: unknown goal "swtich" (did you mean "switch"?) (expected switch, boot, test, dry-activate)',
      ],
      [
        ['plan', '--goal', 'reboot'],
        '--goal: unknown goal "reboot" (did you mean "boot"?) (expected switch, boot, test, dry-activate)',
      ],
      [['deploy', '--parallel', '0'], '--parallel: must be a whole number ≥ 1, got "0"'],
      [['deploy', '--store-fanout', '-1'], '--store-fanout: must be a whole number ≥ 1, got "-1"'],
      [['deploy', '--connect-timeout', 'x'], '--connect-timeout: must be a whole number ≥ 1, got "x"'],
      [['deploy', '--connect-timeout', '0'], '--connect-timeout: must be a whole number ≥ 1, got "0"'],
      [
        ['deploy', '--activation-timeout', '1.5'],
        '--activation-timeout: must be a whole number ≥ 1, got "1.5"',
      ],
      [
        ['deploy', '--no', 'bogus'],
        '--no: unknown step "bogus"; expected a comma list of build, copy, activate, keys',
      ],
      [['deploy', '--failed', '--no-state'], '--failed: needs hive.state; drop --no-state'],
      [
        ['deploy', 'portco'],
        'targets: "portco" matches no instance, system or tag (did you mean "portico"?)',
      ],
      [['deploy', '@nope'], 'targets: "@nope" matches no tag'],
      [['deploy', 'www-1;reboot'], 'targets: "www-1;reboot" matches no instance, system or tag'],
      [['deploy', '--', '$(reboot)'], 'targets: "$(reboot)" matches no instance, system or tag'],
      [['run', 'www-1'], 'command: put the command after --: nix-hive run <patterns…> -- <command…>'],
      [
        ['run', '--timeout', 'x', 'www-1', '--', 'true'],
        '--timeout: must be a number of seconds > 0, got "x"',
      ],
      [['ssh', '--', '-oProxyCommand=x'], 'instance: unknown instance "-oProxyCommand=x"'],
    ] as Array<[string[], string]>
  ).map(([args, line]): Case => ({
    name: `args: ${args.join(' ')}`,
    files: hive(() => {}),
    args,
    expect: [line],
  })),
  {
    name: 'tag with shell syntax',
    files: hive((h) => (www(h).tags = ['web;reboot'])),
    expect: [`instances.www-1.tags[0]: invalid value "web;reboot": ${NAME_RULE}`],
  },
  {
    name: 'instance name with a line break and shell syntax',
    files: hive((h) => (h.instances['www-2\n$(reboot)'] = { system: 'web', address: '10.0.0.12' })),
    expect: [`instances["www-2\\n$(reboot)"]: invalid name "www-2\\n$(reboot)": ${NAME_RULE}`],
  },
];

type Result = CliResult;

/** Every run: the shim first on PATH; NIX_HIVE_FLEET (a test fleet's data) unset. */
const cliEnv = (): EnvEdit => ({ PATH: `${shimDir}:${process.env.PATH}`, NIX_HIVE_FLEET: undefined });
const runInProcess = (cwd: string, args: string[]) => inProcess(cwd, args, cliEnv());

function setUp(files: Record<string, string>, name: string): string {
  const dir = path.join(work, name);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function defaultArgs(c: Case): string[] {
  if (c.args) return c.args;
  const file = Object.keys(c.files ?? {}).find((f) => f.startsWith('hive.config.'));
  // The build step is left on: if validation let anything through, nix-build would hit the shim.
  return file && file !== 'hive.config.ts' ? ['build', '-c', file] : ['build'];
}

test(`the catalogue has at least 30 distinct cases (${cases.length})`, () => {
  assert.ok(cases.length >= 30);
  assert.equal(new Set(cases.map((c) => c.name)).size, cases.length);
});

/**
 * The case's files with the hive.config.ts that hive() wrote as the same object in hive.config.json, for the
 * in-process run; undefined where the case is about the .ts file (hand-written, or named in an expected line).
 */
function asJson(c: Case): Record<string, string> | undefined {
  const data = written.get(c.files?.['hive.config.ts'] ?? '');
  if (data === undefined || c.expect.some((l) => l.includes('hive.config'))) return undefined;
  const files: Record<string, string> = { ...c.files, 'hive.config.json': JSON.stringify(data) };
  delete files['hive.config.ts'];
  return files;
}

/** Each case's folder, as written (the compiled CLI runs there). */
const dirs = cases.map((c, i) => setUp(c.files ?? {}, `case-${i}`));
/** Where each case runs in this process: its JSON twin where it has one, else its own folder. */
const localDirs = cases.map((c, i) => {
  const json = asJson(c);
  return json ? setUp(json, `case-${i}-json`) : dirs[i]!;
});
/** A valid hive whose build the shim must catch: proves a case's silence means something. */
const control = path.join(work, 'control');
mkdirSync(control);
writeFileSync(path.join(control, 'hive.config.ts'), hive(() => {})['hive.config.ts']);
const marked = () => (existsSync(marker) ? readFileSync(marker, 'utf8') : '');

/** What differs from each case's expectation (run in `where`); a case with no result differs too. */
function failuresOf(results: Array<Result | undefined>, where = dirs): string[] {
  const failures: string[] = [];
  cases.forEach((c, i) => {
    const r = results[i];
    if (!r) return failures.push(`${c.name}: no result`);
    const expected = c.expect.map((l) => `nix-hive: ${l.replaceAll('$DIR', where[i]!)}`);
    const got = r.stderr.split('\n').filter((l) => l !== '');
    if (r.code !== 2 || r.stdout !== '' || JSON.stringify(got) !== JSON.stringify(expected))
      failures.push(
        `${c.name}: exit ${r.code}\n  expected: ${JSON.stringify(expected)}\n  got:      ${JSON.stringify(got)}\n  stdout: ${r.stdout.slice(0, 200)}`,
      );
  });
  return failures;
}

test('every bad input exits 2 with one line per problem and starts no process', async () => {
  // One at a time: each case has its own working directory.
  const results: Result[] = [];
  for (const [i, c] of cases.entries()) results.push(await runInProcess(localDirs[i]!, defaultArgs(c)));
  assert.deepEqual(failuresOf(results, localDirs), []);
  assert.equal(marked(), '', 'no nix or ssh process was started');
});

test('the compiled CLI gives the same answers (every case, in one process loading it as the bin does)', async () => {
  const results = await runCompiled(
    [
      ...cases.map((c, i) => ({ cwd: dirs[i]!, args: defaultArgs(c) })),
      { cwd: control, args: ['build', 'www-1'] },
    ],
    cliEnv(),
  );
  assert.deepEqual(failuresOf(results.slice(0, cases.length)), []);
  assert.deepEqual(failuresOf([]).length, cases.length, 'a case with no result is a failure');
  // Only the control (last, in the same process) started anything, and the shim caught it.
  const lines = marked().split('\n').filter(Boolean);
  assert.deepEqual(
    lines.filter((l) => !l.startsWith(`${realpathSync(control)}: `)),
    [],
    'no nix or ssh process was started by a case',
  );
  assert.notEqual(results[cases.length]!.code, 0);
  assert.match(lines[0] ?? '', /^[^:]*: nix/, 'the control build reached the shim');
});

test('reserved ssh options are refused at load by build, plan and deploy: exit 2, hive.state untouched', async () => {
  const dir = path.join(work, 'reserved-ssh');
  mkdirSync(dir);
  const edit = (h: Json & { instances: Record<string, Json> }) => {
    h.defaults = { ssh: { ControlPath: '/tmp/x' } };
    www(h).ssh = { controlmaster: 'no', HostName: '10.9.9.9' };
  };
  writeFileSync(path.join(dir, 'hive.config.ts'), hive(edit)['hive.config.ts']);
  const state = '{"version": 2, "systems": {}, "instances": {}}\n';
  writeFileSync(path.join(dir, 'hive.state'), state);
  const before = marked();
  for (const args of [
    ['build'],
    ['plan'],
    ['deploy'],
    ['deploy', '--dry-run'],
    ['ssh-config'],
    ['status'],
    ['diff'],
  ]) {
    const r = await runInProcess(dir, args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.deepEqual(r.stderr.split('\n').filter(Boolean), [
      'nix-hive: defaults.ssh.ControlPath: cannot be set here: nix-hive manages the connection',
      'nix-hive: instances.www-1.ssh.controlmaster: cannot be set here: nix-hive manages the connection',
      'nix-hive: instances.www-1.ssh.HostName: set by nix-hive from "address"; use instances.www-1.address instead',
    ]);
  }
  assert.equal(readFileSync(path.join(dir, 'hive.state'), 'utf8'), state);
  assert.deepEqual(readdirSync(dir).sort(), ['hive.config.ts', 'hive.state']);
  assert.equal(marked(), before, 'no nix or ssh process');
});

test('control: the shim does catch a real build attempt', async () => {
  rmSync(marker, { force: true });
  const r = await runInProcess(control, ['build', 'www-1']);
  assert.notEqual(r.code, 0);
  assert.match(marked(), /^[^:]*: nix/m);
});
