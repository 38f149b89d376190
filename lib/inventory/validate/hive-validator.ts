// The hive schema's ajv validator. In the sources it is compiled on first use (ajv loaded then); the compiled
// CLI (bin/dist.mjs) replaces this module with ajv's standalone code for the same schema and options,
// generated when the bundle is built, so a start of the CLI neither loads ajv nor compiles the schema.
import type { ValidateFunction } from 'ajv';
import { lazy } from '../../lazy.ts';

/** ajv's options for the hive schema. bin/dist.mjs reads this literal: keep it one plain object literal. */
export const AJV_OPTIONS = { allErrors: true, verbose: true, strict: true, allowUnionTypes: true };

const ajvModule = lazy<typeof import('ajv')>('ajv');

export function compileHiveValidator(schema: Record<string, unknown>): ValidateFunction {
  const Ajv = ajvModule().default;
  return new Ajv({ ...AJV_OPTIONS }).compile(schema);
}
