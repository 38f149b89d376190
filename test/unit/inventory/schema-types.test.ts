// The schema is the single source of truth: this test proves lib/inventory/types.ts agrees with it, key by
// key (names, optionality) and kind by kind, by walking the schema and the TypeScript checker side by side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { hiveSchema, PATTERN_MESSAGES } from '../../../lib/inventory/validate/schema-check.ts';

type Json = Record<string, unknown>;
const schema = hiveSchema();
const defs = schema.definitions as Record<string, Json>;

function deref(node: Json): Json {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  // A JSON pointer into this schema: `#/definitions/name`, `#/properties/defaults`.
  const target = ref
    .slice(2)
    .split('/')
    .reduce<unknown>((n, key) => (n as Json)[key], schema);
  return deref(target as Json);
}

/** The TypeScript type a schema node describes, as a small structural string. */
function schemaKind(raw: Json): string {
  const node = deref(raw);
  // No JSON type: a function, which only a TypeScript/JavaScript config can give (`inventory[].map`).
  if (node.type === undefined) return 'function';
  const types = (Array.isArray(node.type) ? node.type : [node.type]).map((t) =>
    t === 'integer' ? 'number' : t,
  );
  if (types.length > 1)
    return [
      ...new Set((types as string[]).map((t) => (t === 'array' ? `${schemaKind(node.items as Json)}[]` : t))),
    ]
      .sort()
      .join('|');
  if (types[0] === 'array') return `${schemaKind(node.items as Json)}[]`;
  if (types[0] === 'object')
    return node.properties ? 'object' : `{[k]:${schemaKind(node.additionalProperties as Json)}}`;
  return String(types[0]);
}

// types.ts stands alone: the ES library is all it needs (no DOM, no node types: a fifth of the parsing), and
// it must type-check in that program, so no name in it is an unresolved (error) type.
const program = ts.createProgram(
  [fileURLToPath(new URL('../../../lib/inventory/types.ts', import.meta.url))],
  {
    strict: true,
    noEmit: true,
    lib: ['lib.es2022.d.ts'],
    types: [],
  },
);
const checker = program.getTypeChecker();
const source = program.getSourceFiles().find((f) => f.fileName.endsWith('lib/inventory/types.ts'))!;
const typesDiagnostics = ts
  .getPreEmitDiagnostics(program, source)
  .map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
const moduleSymbol = checker.getSymbolAtLocation(source)!;
const exported = new Map(checker.getExportsOfModule(moduleSymbol).map((s) => [s.name, s]));

function tsType(name: string): ts.Type {
  const sym = exported.get(name);
  assert.ok(sym, `types.ts exports ${name}`);
  return checker.getDeclaredTypeOfSymbol(sym);
}

function tsKind(type: ts.Type): string {
  if (type.isUnion()) {
    const parts = type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined)).map(tsKind);
    return [...new Set(parts)].sort().join('|');
  }
  if (type.flags & (ts.TypeFlags.String | ts.TypeFlags.StringLiteral)) return 'string';
  if (type.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return 'number';
  if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return 'boolean';
  if (type.getCallSignatures().length > 0) return 'function';
  if (checker.isArrayType(type)) return `${tsKind(checker.getTypeArguments(type as ts.TypeReference)[0]!)}[]`;
  const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
  if (index && checker.getPropertiesOfType(type).length === 0) return `{[k]:${tsKind(index.type)}}`;
  return 'object';
}

/** Compares one TS object type with one schema object node: keys, required-ness and kinds, both ways. */
function agree(tsName: string, node: Json, tsTypeOverride?: ts.Type) {
  const type = tsTypeOverride ?? tsType(tsName);
  const props = new Map(checker.getPropertiesOfType(type).map((p) => [p.name, p]));
  const schemaProps = node.properties as Record<string, Json>;
  assert.deepEqual([...props.keys()].sort(), Object.keys(schemaProps).sort(), `${tsName}: same keys`);
  const required = new Set((node.required as string[] | undefined) ?? []);
  for (const [key, sym] of props) {
    const optional = (sym.flags & ts.SymbolFlags.Optional) !== 0;
    // `system` is required in the schema only through `defaults.system`, so optional in both.
    assert.equal(!optional, required.has(key), `${tsName}.${key}: required in both or optional in both`);
    const propType = checker.getTypeOfSymbol(sym);
    assert.equal(tsKind(propType), schemaKind(schemaProps[key]!), `${tsName}.${key}: same kind`);
  }
  assert.equal(node.additionalProperties, false, `${tsName}: the schema rejects unknown keys`);
}

test('HiveConfig, SystemConfig, InstanceConfig, InstanceDefaults, InstanceOverride, InventorySource and KeyConfig agree with the schema', () => {
  assert.deepEqual(typesDiagnostics, [], 'types.ts type-checks on its own');
  agree('HiveConfig', schema);
  agree('SystemConfig', defs.system!);
  agree('InstanceConfig', defs.instance!);
  agree('InstanceDefaults', (schema.properties as Record<string, Json>).defaults!);
  agree('InstanceOverride', defs.instanceOverride!);
  agree('InventorySource', defs.inventoryEntry!);
  agree('CheckConfig', defs.check!);
  agree('HttpCheckConfig', (defs.check!.properties as Record<string, Json>).http!);
  agree('KeyConfig', defs.key!);
  agree('BuildSettings', defs.build!);
  // `systems` may be omitted when a hive-level `flake` gives them (a semantic check asks for one of the two).
  assert.deepEqual(schema.required, []);
});

test('every schema property has a description', () => {
  const missing: string[] = [];
  const walk = (node: unknown, at: string) => {
    if (!node || typeof node !== 'object') return;
    const n = node as Json;
    if (n.properties)
      for (const [k, v] of Object.entries(n.properties as Json)) {
        if (!(v as Json).description) missing.push(`${at}.${k}`);
        walk(v, `${at}.${k}`);
      }
    for (const key of ['items', 'additionalProperties', 'propertyNames'])
      if (n[key] && typeof n[key] === 'object') walk(n[key], `${at}.${key}`);
    if (n.definitions) for (const [k, v] of Object.entries(n.definitions as Json)) walk(v, `#${k}`);
  };
  walk(schema, '');
  for (const [k, v] of Object.entries(defs)) if (!v.description) missing.push(`#${k}`);
  assert.deepEqual(missing, []);
});

test('every pattern in the schema has a message in words', () => {
  const patterns: string[] = [];
  JSON.stringify(schema, (k, v) => {
    if (k === 'pattern') patterns.push(v as string);
    return v;
  });
  for (const p of patterns) assert.ok(PATTERN_MESSAGES[p], `no message for ${p}`);
});
