// Parses an instance's `store` (the name of another instance, or a Nix store URI checked for shape), and says
// what a valid name is.
import type { StoreRef } from '../types.ts';
import { didYouMean } from '../validate/did-you-mean.ts';
import { quote } from '../validate/field-path.ts';

/** Names of instances, systems and tags: safe as ssh Host aliases, file names and CLI words (no leading "-"). */
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/;

export function isValidName(name: string): boolean {
  return NAME_RE.test(name);
}

/** Store URI schemes Nix understands, and whether the part after `scheme://` must name a host. */
const SCHEMES: Record<string, 'host' | 'path' | 'any'> = {
  file: 'path',
  http: 'host',
  https: 'host',
  s3: 'host',
  ssh: 'host',
  'ssh-ng': 'host',
  unix: 'path',
  local: 'path',
  daemon: 'any',
  dummy: 'any',
};

/** Store URIs without `://`: `daemon`, `local`, `auto`, optionally with `?key=value` settings. */
const BARE = new Set(['daemon', 'local', 'auto', 'dummy']);

export type ParsedStore = { ok: true; ref: StoreRef } | { ok: false; message: string };

export function looksLikeUri(value: string): boolean {
  return value.includes(':') || value.includes('?') || BARE.has(value) || value.startsWith('/');
}

export function parseStore(value: string): ParsedStore {
  if (!looksLikeUri(value)) {
    if (isValidName(value)) return { ok: true, ref: { kind: 'instance', name: value } };
    return { ok: false, message: `${quote(value)} is neither an instance name nor a Nix store URI` };
  }
  return checkUri(value);
}

function checkUri(uri: string): ParsedStore {
  const bare = uri.split('?')[0]!;
  if (BARE.has(bare)) return settings(uri);
  if (uri.startsWith('/'))
    return { ok: false, message: `malformed store URI ${quote(uri)}: use "local?root=${uri}"` };
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(uri);
  if (!m) return { ok: false, message: `malformed store URI ${quote(uri)}` };
  const scheme = m[1]!;
  const rest = m[2]!;
  const kind = SCHEMES[scheme];
  if (!kind) {
    return {
      ok: false,
      message: `malformed store URI ${quote(uri)}: unknown scheme "${scheme}"${didYouMean(scheme, Object.keys(SCHEMES))}`,
    };
  }
  if (kind === 'path' && !rest.startsWith('/'))
    return { ok: false, message: `malformed store URI ${quote(uri)}: ${scheme}:// needs an absolute path` };
  if (kind === 'host') {
    if (rest === '' || rest.startsWith('?'))
      return { ok: false, message: `malformed store URI ${quote(uri)}: no host` };
    let url: URL;
    try {
      url = new URL(uri.replace(/^[^:]+/, 'http'));
    } catch {
      return { ok: false, message: `malformed store URI ${quote(uri)}` };
    }
    if (!url.hostname) return { ok: false, message: `malformed store URI ${quote(uri)}: no host` };
    if (url.hostname.startsWith('-') || url.username.startsWith('-'))
      return { ok: false, message: `malformed store URI ${quote(uri)}: host may not start with "-"` };
  }
  return settings(uri);
}

function settings(uri: string): ParsedStore {
  const q = uri.indexOf('?');
  if (q >= 0) {
    for (const pair of uri.slice(q + 1).split('&')) {
      if (!/^[A-Za-z0-9_-]+=[^&]*$/.test(pair))
        return { ok: false, message: `malformed store URI ${quote(uri)}: bad setting ${quote(pair)}` };
    }
  }
  return { ok: true, ref: { kind: 'uri', uri } };
}
