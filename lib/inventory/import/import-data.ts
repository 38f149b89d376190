// One inventory file's data → instances: recognise (or check) the format, find the records, map them.
// Problems have paths relative to the file (`web[3]`, a resource address, or '' for the whole file).
import type { Problem } from '../../errors.ts';
import type { InventorySource } from '../types.ts';
import { detectFormat, type ConcreteFormat } from './detect-format.ts';
import { toInstances, type Candidate, type ImportedInstance } from './candidates.ts';
import { outputCandidates, pulumiOutputs, terraformOutputs } from './outputs.ts';
import { plainCandidates } from './plain.ts';
import { stateCandidates } from './terraform-state.ts';

export interface DataImport {
  format: ConcreteFormat | undefined;
  instances: ImportedInstance[];
  problems: Problem[];
}

const FORMAT_WORDS: Record<ConcreteFormat, string> = {
  instances: 'an instance map or list',
  'terraform-output': '`terraform output -json`',
  'terraform-state': '`terraform show -json` state',
  'pulumi-output': '`pulumi stack output --json`',
};

export function importData(data: unknown, source: InventorySource, file: string): DataImport {
  const detected = detectFormat(data);
  if ('problem' in detected)
    return { format: undefined, instances: [], problems: [{ path: '', message: detected.problem }] };
  const wanted = source.format ?? 'auto';
  const format = wanted === 'auto' ? detected.format : wanted;
  if (!compatible(format, detected.format, Array.isArray(data)))
    return {
      format,
      instances: [],
      problems: [
        {
          path: '',
          message: `expected ${FORMAT_WORDS[format]}, but this looks like ${FORMAT_WORDS[detected.format]}`,
        },
      ],
    };
  const misplaced = optionsFor(format, source);
  if (misplaced) return { format, instances: [], problems: [{ path: '', message: misplaced }] };
  let found: { candidates: Candidate[]; problems: Problem[] };
  if (format === 'instances') found = plainCandidates(data);
  else if (format === 'terraform-state') found = stateCandidates(data as Record<string, unknown>, source);
  else if (format === 'terraform-output')
    found = outputCandidates(terraformOutputs(data as Record<string, unknown>), source, 'terraform');
  else found = outputCandidates(pulumiOutputs(data as Record<string, unknown>), source, 'pulumi');
  const { instances, problems } = toInstances(found.candidates, source.map, file);
  return { format, instances, problems: [...found.problems, ...problems] };
}

/** A plain map and a pulumi map can look alike (pulumi outputs that are each one instance, or broken instances). */
function compatible(wanted: ConcreteFormat, detected: ConcreteFormat, list: boolean): boolean {
  const maps = new Set<ConcreteFormat>(['instances', 'pulumi-output']);
  return wanted === detected || (!list && maps.has(wanted) && maps.has(detected));
}

const STATE_ONLY = ['resources', 'nameTag', 'systemTag', 'tagsTag', 'addressFrom'] as const;

/** Options that mean nothing for the file's format are a mistake worth saying. */
function optionsFor(format: ConcreteFormat, source: InventorySource): string | undefined {
  const given = (keys: readonly string[]) =>
    keys.filter((k) => (source as unknown as Record<string, unknown>)[k] !== undefined);
  const bad =
    format === 'terraform-state'
      ? given(['outputs'])
      : format === 'instances'
        ? given(['outputs', ...STATE_ONLY])
        : given(STATE_ONLY);
  if (bad.length === 0) return undefined;
  return `${bad.map((k) => `\`${k}\``).join(', ')} ${bad.length === 1 ? 'does' : 'do'} not apply to ${FORMAT_WORDS[format]}`;
}
