// Turns ssh's own failures (exit 255 with ssh's messages) into a typed SshError that says what went wrong:
// host key mismatch (with the pinned fingerprint), unknown key, timeout, refused, unreachable, auth, dropped.
import { SshError, type SshFailureKind } from '../errors.ts';
import type { SpawnResult } from '../exec/spawn.ts';
import type { ResolvedInstance } from '../inventory/types.ts';
import { fingerprint, parsePublicKey } from './host-keys.ts';
import { lastLine } from '../util/last-line.ts';

export interface FailureContext {
  instance: ResolvedInstance;
  /** ConnectTimeout in seconds, for the message. */
  connectTimeout: number;
}

/** An SshError when the result is ssh's own failure; null when it is the remote command's exit status. */
export function sshFailure(result: SpawnResult, ctx: FailureContext): SshError | null {
  if (result.exitCode !== 255 || result.timedOut || result.signal) return null;
  const { instance: inst } = ctx;
  const err = result.stderr;
  const where = `${inst.name} (${inst.user}@${inst.address}:${inst.port}${inst.via ? ` via ${inst.via}` : ''})`;
  const make = (kind: SshFailureKind, message: string, hint?: string) =>
    new SshError(kind, inst.name, message, { hint, result });

  if ('uri' in inst && typeof inst.uri === 'string') {
    const host = uriHostKeyFailure(inst.name, inst.uri, inst.port, err, result);
    if (host) return host;
  }
  const expected = inst.hostKeys
    .map((line) => parsePublicKey(line))
    .flatMap((k) => (k ? [`${fingerprint(k)} (${k.type})`] : []));
  if (
    /REMOTE HOST IDENTIFICATION HAS CHANGED|has changed and you have requested strict checking/.test(err) ||
    (expected.length > 0 && /Host key verification failed|host key is known for/.test(err))
  ) {
    const got = /sent by the remote host is\s+(SHA256:[A-Za-z0-9+/]+)/.exec(err)?.[1];
    return make(
      'host-key-mismatch',
      `host key mismatch for ${where}: expected ${expected.join(' or ') || 'a pinned key'}` +
        `${got ? `, the host offered ${got}` : ''}; not connecting`,
      `if ${inst.name} was reinstalled, put its new key in instances.${inst.name}.hostKeys`,
    );
  }
  if (/Host key verification failed/.test(err)) {
    return make(
      'host-key-unknown',
      `host key of ${where} is not known and nix-hive does not ask`,
      `pin it in instances.${inst.name}.hostKeys, or add it to ~/.ssh/known_hosts`,
    );
  }
  if (/Permission denied \(|Too many authentication failures/.test(err)) {
    return make(
      'auth',
      `${where} refused authentication as ${inst.user}`,
      `check the key (an IdentityFile in instances.${inst.name}.ssh, or your ssh agent)`,
    );
  }
  if (/timed out|Connection timed out|Operation timed out/.test(err)) {
    return make('timeout', `connection to ${where} timed out (ConnectTimeout ${ctx.connectTimeout} s)`);
  }
  if (/Connection refused/.test(err)) return make('refused', `connection to ${where} refused`);
  // Through a jump host, ssh hides the jump's own messages; the jump itself was reached first, so the jump
  // could not open a channel to the target.
  if (/Connection closed by UNKNOWN port 65535|kex_exchange_identification|Connection closed by/.test(err)) {
    return make(
      'unreachable',
      inst.via
        ? `${inst.via} could not open a connection to ${inst.address}:${inst.port} for ${inst.name}`
        : `${where} closed the connection before the ssh handshake`,
    );
  }
  if (/Timeout, server .* not responding|Broken pipe|closed by remote host|Connection reset/.test(err)) {
    return make('connection-lost', `connection to ${where} was lost`);
  }
  if (/Could not resolve hostname/.test(err)) {
    return make('unreachable', `cannot resolve ${inst.address} for ${inst.name}`);
  }
  if (/No route to host|Network is unreachable/.test(err)) return make('unreachable', `no route to ${where}`);
  if (/^ssh: |Control socket connect|mux_client|ControlPath/m.test(err)) {
    return make('unreachable', `ssh to ${where} failed: ${lastLine(err)}`);
  }
  return null;
}

/** A build host named by a URI is checked against the operator's own known_hosts only: say so, and how to fix it. */
function uriHostKeyFailure(
  name: string,
  uri: string,
  port: number,
  err: string,
  result: SpawnResult,
): SshError | null {
  const keyscan = `ssh-keyscan ${port === 22 ? '' : `-p ${port} `}${name} >> ~/.ssh/known_hosts`;
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|has changed and you have requested strict checking/.test(err)) {
    const got = /sent by the remote host is\s+(SHA256:[A-Za-z0-9+/]+)/.exec(err)?.[1];
    return new SshError(
      'host-key-mismatch',
      name,
      `host key mismatch for build host ${name} (${uri}): it differs from the key in your ~/.ssh/known_hosts${got ? ` (the host offered ${got})` : ''}; not connecting`,
      {
        hint: `if ${name} was reinstalled, check its new key out of band, then replace its line (ssh-keygen -R ${name}; ${keyscan})`,
        result,
      },
    );
  }
  if (/Host key verification failed|host key is known for/.test(err)) {
    return new SshError(
      'host-key-unknown',
      name,
      `host key of build host ${name} (${uri}) is not in your ~/.ssh/known_hosts; a build host named by a URI has no pinned key, so nix-hive connects only to a key you already trust`,
      {
        hint: `check the host's key out of band, then add it: ${keyscan} (or make ${name} an instance of the hive with pinned hostKeys)`,
        result,
      },
    );
  }
  return null;
}
