// Layer two of inventory checking: ajv validates the authored config against schema/hive.schema.json,
// and each ajv error becomes one `path: message` problem (with "did you mean" for unknown keys).
import { readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { compileHiveValidator } from './hive-validator.ts';
import type { Problem } from '../../errors.ts';
import { didYouMean } from './did-you-mean.ts';
import { fieldPath, pointerToPath, quote } from './field-path.ts';

export const HIVE_SCHEMA_URL = new URL('../../../schema/hive.schema.json', import.meta.url);

/** What each pattern in the schema means, in words; a unit test checks every schema pattern is listed. */
export const PATTERN_MESSAGES: Record<string, string> = {
  '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$':
    'must start with a letter, digit or "_" and contain only letters, digits, ".", "_" and "-" (at most 63)',
  '^[A-Za-z0-9_][A-Za-z0-9_.+-]*$':
    'must start with a letter, digit or "_" and contain only letters, digits, ".", "_", "+" and "-"',
  '^[^\\s]+$': 'must not contain spaces or line breaks',
  '^[a-z0-9_]+-[a-z0-9_]+$': 'must be a Nix platform such as "x86_64-linux"',
  '^[A-Za-z0-9_.:%\\[\\]][A-Za-z0-9_.:%\\[\\]-]*$':
    'must be a host name or IP address (no spaces, "@", quotes or leading "-")',
  '^[a-z_][a-z0-9_.-]{0,31}$': 'must be a Unix user name (lower case, starting with a letter or "_")',
  '^[^\\s-][^\\s]*$': 'must be an instance name or a Nix store URI (no spaces, no leading "-")',
  '^(ssh-[a-z0-9]+|ecdsa-sha2-nistp[0-9]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+=*( [^\\r\\n]*)?$':
    'must be a public key line such as "ssh-ed25519 AAAA…"',
  '^[A-Za-z][A-Za-z0-9]*$': 'must be an ssh_config keyword such as "IdentityFile"',
  '^[^\\r\\n]*$': 'must not contain line breaks',
  '^/[^\\s]*$': 'must be a URL path starting with "/" (no spaces)',
  '^[^\\u0000]*$': 'must not contain NUL bytes',
  '^[A-Za-z_][A-Za-z0-9_]*$': 'must be an environment variable name (letters, digits and "_")',
  '^0?[0-7]{3}$': 'must be an octal mode such as "0600" or "0440"',
  "^[^\\s#]+#[A-Za-z0-9_][A-Za-z0-9_.'-]*$":
    'is not a flake output: expected "<flake-ref>#<name>" such as ".#www" (no spaces; a name of letters, digits, ".", "_", "\'" and "-")',
  '^[^\\s#]+$': 'is not a flake reference such as "." or "github:org/fleet" (no spaces, no "#")',
  '^[^\\r\\n;]*$': 'must be one machine line (no line breaks, no ";")',
};

let validator: ValidateFunction | undefined;

export function hiveSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(HIVE_SCHEMA_URL, 'utf8')) as Record<string, unknown>;
}

function validate(): ValidateFunction {
  if (!validator) {
    validator = compileHiveValidator(hiveSchema());
  }
  return validator;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return quote(value.length > 60 ? value.slice(0, 60) + '…' : value);
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}

function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return TYPE_WORDS[typeof value] ?? typeof value;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
};

function typeWords(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(' or ');
}

/** A key, or its `text`, may be a secret: messages name its kind, never its value. */
function isSecretPath(at: string): boolean {
  return /(^|\.)keys((\.[^.[]+|\[[^\]]*\])(\.text)?)?$/.test(at);
}

function toProblem(e: ErrorObject, data: unknown): Problem | undefined {
  const at = pointerToPath(e.instancePath, data);
  const describe = (v: unknown) => (isSecretPath(at) ? describeKind(v) : describeValue(v));
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const hint = didYouMean(key, known) || ` (expected one of: ${known.join(', ')})`;
      if (!/^[\x21-\x7e]+$/.test(key)) return { path: at, message: `unknown key ${quote(key)}${hint}` };
      return { path: fieldPath(at, key), message: `unknown key${hint}` };
    }
    case 'required':
      return { path: fieldPath(at, String(p.missingProperty)), message: 'required field missing' };
    case 'type':
      return { path: at, message: `must be ${typeWords(p.type)}, got ${describe(e.data)}` };
    case 'propertyNames': {
      const name = String(p.propertyName);
      return { path: fieldPath(at, name), message: `invalid name ${quote(name)}: ${patternMessage(e)}` };
    }
    case 'pattern':
      // A property-name error is reported once, by its `propertyNames` error.
      if ((e as ErrorObject & { propertyName?: string }).propertyName !== undefined) return undefined;
      return { path: at, message: `invalid value ${describe(e.data)}: ${patternMessage(e)}` };
    case 'minimum':
    case 'maximum': {
      const s = e.parentSchema as { minimum?: number; maximum?: number };
      return { path: at, message: `must be between ${s.minimum} and ${s.maximum}, got ${describe(e.data)}` };
    }
    case 'minLength':
      return { path: at, message: 'must not be empty' };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      const hint = typeof e.data === 'string' ? didYouMean(e.data, allowed) : '';
      return { path: at, message: `must be one of ${allowed.join(', ')}, got ${describe(e.data)}${hint}` };
    }
    case 'minItems':
      return { path: at, message: `must list at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}` };
    case 'uniqueItems': {
      const list = e.data as unknown[];
      return { path: at, message: `duplicate item ${describe(list[Number(p.j)])}` };
    }
    default:
      return { path: at, message: e.message ?? `invalid (${e.keyword})` };
  }
}

function patternMessage(e: ErrorObject): string {
  // For propertyNames, the pattern lives in the `propertyNames` subschema (through a $ref for names).
  const pattern =
    e.keyword === 'pattern'
      ? String((e.params as { pattern: string }).pattern)
      : propertyNamePattern(e.schema as Record<string, unknown>);
  return PATTERN_MESSAGES[pattern] ?? `must match ${pattern}`;
}

function propertyNamePattern(schema: Record<string, unknown>): string {
  if (typeof schema.pattern === 'string') return schema.pattern;
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const def = ref.replace('#/definitions/', '');
    const defs = hiveSchema().definitions as Record<string, { pattern?: string }>;
    return defs[def]?.pattern ?? '';
  }
  return '';
}

/** Every schema problem in the authored config; empty when it conforms. */
export function schemaProblems(config: unknown): Problem[] {
  const v = validate();
  if (v(config)) return [];
  const problems: Problem[] = [];
  // One problem per path: the first (e.g. "must not be empty") says enough.
  const seen = new Set<string>();
  for (const e of v.errors ?? []) {
    const p = toProblem(e, config);
    if (!p || seen.has(p.path)) continue;
    seen.add(p.path);
    problems.push(p);
  }
  return problems;
}
