// terraform and pulumi outputs: which outputs hold instances (named in `outputs`, or by default every
// non-sensitive output whose value has the instance shape), and the records inside each. A sensitive output
// is read only when named; its values then are instance data, never shown in messages.
import type { Problem } from '../../errors.ts';
import type { InventorySource } from '../types.ts';
import { isDict, type Dict } from '../validate/guards.ts';
import { fieldPath, quote } from '../validate/field-path.ts';
import { didYouMean } from '../validate/did-you-mean.ts';
import { isInstanceLike } from './detect-format.ts';
import { kindOf, recordAuto, type Candidate } from './candidates.ts';

export interface Output {
  name: string;
  value: unknown;
  sensitive: boolean;
  /** pulumi prints secrets as "[secret]" unless given --show-secrets. */
  hidden: boolean;
}

/** `terraform output -json`: `{ name: { value, type, sensitive } }`. */
export function terraformOutputs(data: Dict): Output[] {
  return Object.entries(data).map(([name, o]) => {
    const out = isDict(o) ? o : {};
    return { name, value: out.value, sensitive: out.sensitive === true, hidden: false };
  });
}

/** `pulumi stack output --json`: a plain map of outputs. */
export function pulumiOutputs(data: Dict): Output[] {
  return Object.entries(data)
    .filter(([name]) => name !== '$schema')
    .map(([name, value]) => {
      const hidden = value === '[secret]';
      return { name, value, sensitive: hidden, hidden };
    });
}

type Shape = 'one' | 'list' | 'map';

/** An instance, a non-empty list of instances, or a non-empty map of instances. */
export function instanceShape(value: unknown): Shape | undefined {
  if (isInstanceLike(value)) return 'one';
  if (Array.isArray(value)) return value.length > 0 && value.every(isInstanceLike) ? 'list' : undefined;
  if (isDict(value)) {
    const vs = Object.values(value);
    return vs.length > 0 && vs.every(isInstanceLike) ? 'map' : undefined;
  }
  return undefined;
}

export function outputCandidates(
  outputs: Output[],
  source: InventorySource,
  what: 'terraform' | 'pulumi',
): { candidates: Candidate[]; problems: Problem[] } {
  const candidates: Candidate[] = [];
  const problems: Problem[] = [];
  const byName = new Map(outputs.map((o) => [o.name, o]));
  if (source.outputs) {
    for (const name of source.outputs) {
      const o = byName.get(name);
      if (!o) {
        const names = outputs.map((x) => x.name);
        const hint = didYouMean(name, names) || ` (outputs: ${names.join(', ') || 'none'})`;
        problems.push({ path: '', message: `no output ${quote(name)}${hint}` });
      } else if (o.hidden) {
        problems.push({
          path: fieldPath('', name),
          message:
            'is a secret shown as "[secret]": export it with `pulumi stack output --json --show-secrets`',
        });
      } else if (!source.map && !isEmpty(o.value) && !instanceShape(o.value)) {
        problems.push({
          path: fieldPath('', name),
          message: `${NOT_INSTANCES}; convert it with a map function`,
        });
      } else candidates.push(...recordsOf(o, source.map !== undefined));
    }
    return { candidates, problems };
  }
  if (source.map) {
    problems.push({
      path: '',
      message: `a map needs \`outputs\`: the ${what} outputs whose records it maps`,
    });
    return { candidates, problems };
  }
  for (const o of outputs)
    if (!o.sensitive && instanceShape(o.value)) candidates.push(...recordsOf(o, false));
  if (candidates.length === 0 && outputs.length > 0) {
    const seen = outputs
      .slice(0, 10)
      .map((o) => `${o.name} (${o.sensitive ? 'sensitive, skipped' : kindOf(o.value)})`);
    if (outputs.length > 10) seen.push(`… ${outputs.length - 10} more`);
    problems.push({
      path: '',
      message:
        `no output holds instances (an instance is an object with an "address"; a map name → instance or a ` +
        `list of instances counts too); outputs: ${seen.join(', ')}; name the ones to import in \`outputs\`, ` +
        `with a map to convert them`,
    });
  } else if (outputs.length === 0) problems.push({ path: '', message: 'no outputs (no instances)' });
  return { candidates, problems };
}

const NOT_INSTANCES =
  'is not an instance, a map name → instance or a list of instances (an instance is an object with an "address")';

function isEmpty(v: unknown): boolean {
  return (Array.isArray(v) && v.length === 0) || (isDict(v) && Object.keys(v).length === 0);
}

/** The records of one output: list items, map values, or the value itself. */
function recordsOf(o: Output, mapped: boolean): Candidate[] {
  const base = { sensitive: o.sensitive };
  const v = o.value;
  const shape = mapped ? mappedShape(v) : instanceShape(v);
  if (shape === 'list')
    return (v as unknown[]).map((record, i) => ({
      ...base,
      record,
      key: `${o.name}-${i}`,
      from: fieldPath(o.name, i),
      auto: () => recordAuto(record, true),
    }));
  if (shape === 'map')
    return Object.entries(v as Dict).map(([k, record]) => ({
      ...base,
      record,
      key: k,
      from: fieldPath(o.name, k),
      auto: () => recordAuto(record, true),
    }));
  if (isEmpty(v)) return [];
  return [{ ...base, record: v, key: o.name, from: o.name, auto: () => recordAuto(v, true) }];
}

/** For a map function: lists give their items, maps of objects their values, anything else is one record. */
function mappedShape(v: unknown): Shape {
  if (Array.isArray(v)) return 'list';
  if (isDict(v)) {
    const vs = Object.values(v);
    if (vs.length > 0 && vs.every(isDict)) return 'map';
  }
  return 'one';
}
