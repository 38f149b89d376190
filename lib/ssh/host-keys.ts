// Pinned host keys: parse an inventory `hostKeys` entry, render known_hosts lines under the instance's alias,
// and compute the SHA256 fingerprint ssh prints, so a mismatch can name the key that was expected.
import { createHash } from 'node:crypto';
import type { ResolvedHive } from '../inventory/types.ts';
import { inputError } from '../errors.ts';

export interface PublicKey {
  type: string;
  /** The base64 key blob. */
  blob: string;
}

const KEY_RE = /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+)\s+([A-Za-z0-9+/]+={0,3})(\s.*)?$/;

/** Parse `ssh-ed25519 AAAA… [comment]`; null when it is not a public key line. */
export function parsePublicKey(line: string): PublicKey | null {
  const m = KEY_RE.exec(line.trim());
  if (!m || /[\r\n\0]/.test(line)) return null;
  return { type: m[1]!, blob: m[2]! };
}

/** The fingerprint as `ssh-keygen -lf` and ssh's own warnings print it: `SHA256:<unpadded base64>`. */
export function fingerprint(key: PublicKey): string {
  const digest = createHash('sha256').update(Buffer.from(key.blob, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/** The pinned keys of every instance, parsed; a malformed entry is an input error naming its path. */
export function pinnedKeys(hive: ResolvedHive): Map<string, PublicKey[]> {
  const out = new Map<string, PublicKey[]>();
  for (const inst of Object.values(hive.instances)) {
    const keys = inst.hostKeys.map((line, i) => {
      const key = parsePublicKey(line);
      if (!key) throw inputError(`instances.${inst.name}.hostKeys.${i}`, 'not an ssh public key line');
      return key;
    });
    out.set(inst.name, keys);
  }
  return out;
}

/** known_hosts text: one `<instance> <type> <blob>` line per pinned key; ssh finds them through `HostKeyAlias`. */
export function renderKnownHosts(hive: ResolvedHive): string {
  const lines: string[] = [];
  for (const [name, keys] of pinnedKeys(hive)) {
    for (const key of keys) lines.push(`${name} ${key.type} ${key.blob}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
