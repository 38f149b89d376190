// The hive's signing key at deploy time, read only when a step signs: a file is passed to nix by path;
// a command's output or an environment variable's value is kept in memory and handed to
// `nix store sign --key-file /dev/stdin` on stdin, never written to disk or put in argv.
import { readFile } from 'node:fs/promises';
import { checked, type Spawner } from '../../exec/spawn.ts';
import { HiveError } from '../../errors.ts';
import type { SigningKey } from '../../inventory/types.ts';
import { publicKeyArgv } from '../../nix/argv.ts';
import { readKeySource } from '../keys/key-source.ts';

/** What `nix store sign` is given: a key file path, or `/dev/stdin` plus the key as input. */
export interface KeyMaterial {
  keyFile: string;
  input?: Buffer;
}

export class HiveSigningKey {
  private material?: Promise<KeyMaterial>;
  private publicLine?: Promise<string>;

  constructor(
    private readonly key: SigningKey,
    private readonly spawn: Spawner,
    private readonly cwd: string,
    private readonly env: Record<string, string | undefined> = {},
  ) {}

  /** Loaded once per run (a command runs once), on first use. */
  load(): Promise<KeyMaterial> {
    return (this.material ??= this.read());
  }

  /** The secret itself, in memory (for a build host's signing, which gets it on stdin). */
  async secret(): Promise<Buffer> {
    const m = await this.load();
    return m.input ?? (await readFile(m.keyFile));
  }

  /** `name:base64` of the public half. */
  publicKey(): Promise<string> {
    return (this.publicLine ??= (async () => {
      const secret = await this.secret();
      const argv = publicKeyArgv();
      const r = await checked(this.spawn, argv.command, argv.args, {
        input: secret,
        env: this.env,
        what: 'nix key convert-secret-to-public',
      });
      return r.stdout.trim();
    })());
  }

  private async read(): Promise<KeyMaterial> {
    const k = this.key;
    if (k.kind === 'file') return { keyFile: k.file };
    let text: string;
    if (k.kind === 'env') {
      const v = process.env[k.env];
      if (v === undefined || v.trim() === '')
        throw new HiveError('E_INPUT', `signingKey.env: the environment variable ${k.env} is not set`);
      text = v;
    } else {
      const bytes = await readKeySource('signingKey.command', k, { spawn: this.spawn, cwd: this.cwd });
      text = bytes.toString('utf8');
      bytes.fill(0);
    }
    const line = text.trim();
    if (!/^[^:\s]+:[A-Za-z0-9+/]+=*$/.test(line))
      throw new HiveError(
        'E_INPUT',
        `signingKey.${k.kind}: not a Nix secret key (expected one line "name:base64…")`,
      );
    return { keyFile: '/dev/stdin', input: Buffer.from(line) };
  }
}
