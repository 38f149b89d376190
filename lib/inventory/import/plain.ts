// Plain inventory files (YAML or JSON, as `nix-hive import` writes them): a map `name → instance`
// (a `$schema` key is ignored), or a list of instances each with its `name`.
import type { Problem } from '../../errors.ts';
import { isDict, type Dict } from '../validate/guards.ts';
import { fieldPath } from '../validate/field-path.ts';
import { kindOf, recordAuto, type Candidate } from './candidates.ts';

export function plainCandidates(data: unknown): { candidates: Candidate[]; problems: Problem[] } {
  if (Array.isArray(data)) {
    if (data.length === 0)
      return { candidates: [], problems: [{ path: '', message: 'no instances (an empty list)' }] };
    const candidates = data.map((record, i): Candidate => {
      const from = fieldPath('', i);
      return {
        record,
        key: '',
        from,
        sensitive: false,
        auto: () => {
          if (isDict(record) && record.name === undefined)
            return { problem: 'no "name" (a list of instances names each one with "name")' };
          return recordAuto(record, true);
        },
      };
    });
    return { candidates, problems: [] };
  }
  if (!isDict(data))
    return {
      candidates: [],
      problems: [{ path: '', message: `expected a map or list of instances, got ${kindOf(data)}` }],
    };
  const candidates = Object.entries(data as Dict)
    .filter(([k]) => k !== '$schema')
    .map(([k, record]): Candidate => ({
      record,
      key: k,
      from: fieldPath('', k),
      sensitive: false,
      // In a map the key is the name.
      auto: () =>
        isDict(record) && 'name' in record
          ? {
              problem:
                '"name" is not a field in a map of instances (the key is the name); for pulumi outputs, set format: pulumi-output',
            }
          : recordAuto(record, false),
    }));
  if (candidates.length === 0) return { candidates, problems: [{ path: '', message: 'no instances' }] };
  return { candidates, problems: [] };
}
