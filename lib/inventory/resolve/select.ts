// Target selection: patterns match instance names, system names and tags; `@tag` matches tags only,
// `!pattern` excludes, globs use * ? [...]. Order: each pattern's matches in name order, first place kept.
import { InputError, type Problem } from '../../errors.ts';
import type { ResolvedHive, ResolvedInstance } from '../types.ts';
import { didYouMean } from '../validate/did-you-mean.ts';
import { globToRegExp, hasGlob } from './glob.ts';
import { quote } from '../validate/field-path.ts';

type Matcher = (word: string) => boolean;

function matcher(pattern: string): Matcher {
  if (!hasGlob(pattern)) return (w) => w === pattern;
  const re = globToRegExp(pattern);
  return (w) => re.test(w);
}

function matches(inst: ResolvedInstance, m: Matcher, tagsOnly: boolean): boolean {
  if (!tagsOnly && (m(inst.name) || m(inst.system))) return true;
  return inst.tags.some(m);
}

/** Selected instance names in deploy order. No patterns → every instance, in name order. */
export function selectTargets(hive: ResolvedHive, patterns: string[]): string[] {
  const sorted = Object.keys(hive.instances).sort();
  const problems: Problem[] = [];
  const chosen: string[] = [];
  const seen = new Set<string>();
  const excluded = new Set<string>();
  let includes = 0;
  for (const raw of patterns) {
    const exclude = raw.startsWith('!');
    const body = exclude ? raw.slice(1) : raw;
    const tagsOnly = body.startsWith('@');
    const pattern = tagsOnly ? body.slice(1) : body;
    if (pattern === '') {
      problems.push({ path: 'targets', message: `empty pattern ${quote(raw)}` });
      continue;
    }
    let m: Matcher;
    try {
      m = matcher(pattern);
    } catch (e) {
      problems.push({ path: 'targets', message: `invalid pattern ${quote(raw)}: ${(e as Error).message}` });
      continue;
    }
    if (!exclude) includes++;
    let any = false;
    for (const name of sorted) {
      if (!matches(hive.instances[name]!, m, tagsOnly)) continue;
      any = true;
      if (exclude) excluded.add(name);
      else if (!seen.has(name)) {
        seen.add(name);
        chosen.push(name);
      }
    }
    if (!any)
      problems.push({
        path: 'targets',
        message: `${quote(raw)} matches no ${describe(tagsOnly)}${suggest(hive, pattern, tagsOnly)}`,
      });
  }
  if (problems.length > 0) throw new InputError(problems);
  const base = includes === 0 ? sorted : chosen;
  const result = base.filter((n) => !excluded.has(n));
  if (result.length === 0 && sorted.length > 0)
    throw new InputError([
      {
        path: 'targets',
        message: `no instance left after excluding ${patterns.filter((p) => p.startsWith('!')).join(' ')}`,
      },
    ]);
  return result;
}

function describe(tagsOnly: boolean): string {
  return tagsOnly ? 'tag' : 'instance, system or tag';
}

function suggest(hive: ResolvedHive, pattern: string, tagsOnly: boolean): string {
  if (hasGlob(pattern)) return '';
  const words = new Set<string>();
  for (const inst of Object.values(hive.instances)) {
    if (!tagsOnly) {
      words.add(inst.name);
      words.add(inst.system);
    }
    for (const t of inst.tags) words.add(t);
  }
  return didYouMean(pattern, words);
}
