// Instance names from terraform resource addresses: module names and keys, then the resource name and its
// index, joined by "-" (the resource type is left out): `aws_instance.www[0]` → `www-0`,
// `aws_instance.www["eu/a"]` → `www-eu-a`, `module.web["x"].aws_instance.app[1]` → `web-x-app-1`.
// The result is always a valid instance name (at most 63 characters, the end kept; a clash is reported as a
// duplicate naming both addresses).

const STEP =
  /(?:^|\.)(?:(module)\.([^.[]+)|(data\.)?([^.[]+)\.([^.[]+))(?:\[((?:"(?:[^"\\]|\\.)*")|[^\]]*)\])?/g;

export function addressName(address: string): string {
  const parts: string[] = [];
  for (const m of address.matchAll(STEP)) {
    parts.push(m[1] ? m[2]! : m[5]!);
    const index = m[6];
    if (index !== undefined) parts.push(index.startsWith('"') ? unquote(index) : index);
  }
  if (parts.length === 0) parts.push(address);
  const name = parts
    .map((p) => p.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, ''))
    .filter((p) => p !== '')
    .join('-')
    .replace(/-{2,}/g, '-')
    // Too long: keep the end, where the index tells instances apart.
    .slice(-63)
    .replace(/^[-.]+/, '');
  return name === '' ? 'resource' : name;
}

function unquote(s: string): string {
  try {
    return String(JSON.parse(s));
  } catch {
    return s.slice(1, -1);
  }
}
