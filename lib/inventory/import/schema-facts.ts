// What the import code takes from schema/hive.schema.json, the single source: the instance fields (in the
// schema's order) and the inventory formats.
import type { InventoryFormat } from '../types.ts';
import { hiveSchema } from '../validate/schema-check.ts';

interface Facts {
  instanceFields: string[];
  formats: InventoryFormat[];
}

let facts: Facts | undefined;

function load(): Facts {
  if (!facts) {
    const defs = hiveSchema().definitions as Record<
      string,
      { properties: Record<string, { enum?: string[] }> }
    >;
    facts = {
      instanceFields: Object.keys(defs.instance!.properties),
      formats: defs.inventoryEntry!.properties.format!.enum as InventoryFormat[],
    };
  }
  return facts;
}

export const instanceFields = (): string[] => load().instanceFields;
export const inventoryFormats = (): InventoryFormat[] => load().formats;
