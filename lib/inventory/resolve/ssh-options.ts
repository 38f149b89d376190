// The one home of the rules for an instance's `ssh` options: the ssh_config options nix-hive sets itself
// may not be set there. UserKnownHostsFile is nix-hive's only where a key is pinned; elsewhere it is the
// user's own policy and passes through. Checked at load (semantic checks: exit 2, nothing started), and again by the
// ssh_config renderer for a hive that did not come through the loader.
import { fieldPath } from '../validate/field-path.ts';

/** Options nix-hive sets itself (lower-cased, as ssh_config keywords are case-insensitive): the field to use, or why. */
const RESERVED: Record<string, { field: string } | { why: string }> = {
  host: { why: 'it would start a new block' },
  match: { why: 'it would start a new block' },
  include: { why: 'it would change the block structure' },
  hostname: { field: 'address' },
  user: { field: 'user' },
  port: { field: 'port' },
  proxyjump: { field: 'via' },
  hostkeyalias: { why: 'nix-hive sets it to the instance name' },
  userknownhostsfile: { why: 'the instance has pinned `hostKeys`; nix-hive writes its known_hosts' },
  stricthostkeychecking: { why: 'pin keys with `hostKeys`; nix-hive never turns checking off' },
  controlmaster: { why: 'nix-hive manages the connection' },
  controlpath: { why: 'nix-hive manages the connection' },
  controlpersist: { why: 'nix-hive manages the connection' },
};

/** The ssh_config keywords nix-hive sets itself, as written in its generated config. */
export const RESERVED_SSH_OPTIONS = Object.keys(RESERVED);

/** Reserved only for an instance with pinned host keys (nix-hive's known_hosts); otherwise the user's own. */
const WHEN_PINNED = new Set(['userknownhostsfile']);

/**
 * Why `key` may not be set in the `ssh` options at `owner` (`defaults`, `instances.www-1`), or undefined when
 * it may: `set by nix-hive from "via"; use instances.www-1.via instead`, `cannot be set here: …`. `pinned`:
 * whether the instances it applies to have pinned host keys.
 */
export function reservedSshOption(owner: string, key: string, pinned: boolean): string | undefined {
  const rule = RESERVED[key.toLowerCase()];
  if (!rule || (!pinned && WHEN_PINNED.has(key.toLowerCase()))) return undefined;
  return 'field' in rule
    ? `set by nix-hive from "${rule.field}"; use ${fieldPath(owner, rule.field)} instead`
    : `cannot be set here: ${rule.why}`;
}
