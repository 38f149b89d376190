// A tar archive built in memory (pure): the content part of a key stream. POSIX ustar headers, a GNU
// `L` record for a name longer than ustar's prefix and name fields hold, two zero blocks at the end and the
// whole padded to tar's 10 KiB record, so GNU tar on the host reads it to its end and no further.
const BLOCK = 512;
const RECORD = 20 * BLOCK;

export interface ArchiveEntry {
  /** Relative path inside the archive (the host extracts with `-C /`). */
  name: string;
  /** Octal mode as the host will have set it already (`600`). */
  mode: string;
  content: Uint8Array;
}

/** The archive's blocks; the content is copied into them (the caller zero-fills the result when done). */
export function tarArchive(entries: ArchiveEntry[], mtime = Math.floor(Date.now() / 1000)): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const name = Buffer.from(e.name);
    if (name.length === 0 || name.includes(0))
      throw new Error(`key archive: invalid name ${JSON.stringify(e.name)}`);
    let fields = ustarName(name);
    if (!fields) {
      const long = Buffer.concat([name, Buffer.alloc(1)]);
      parts.push(
        header({ name: Buffer.from('././@LongLink'), prefix: Buffer.alloc(0) }, '0', long.length, 'L', 0),
      );
      parts.push(long, Buffer.alloc(pad(long.length)));
      fields = { name: name.subarray(0, 100), prefix: Buffer.alloc(0) };
    }
    parts.push(header(fields, e.mode, e.content.length, '0', mtime));
    parts.push(Buffer.from(e.content.buffer, e.content.byteOffset, e.content.length));
    parts.push(Buffer.alloc(pad(e.content.length)));
  }
  const body = parts.reduce((n, p) => n + p.length, 0) + 2 * BLOCK;
  parts.push(Buffer.alloc(2 * BLOCK + ((RECORD - (body % RECORD)) % RECORD)));
  return Buffer.concat(parts);
}

const pad = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

/** ustar's split of a long name: a prefix of up to 155 bytes and a name of up to 100, cut at a slash. */
function ustarName(name: Buffer): { name: Buffer; prefix: Buffer } | undefined {
  if (name.length <= 100) return { name, prefix: Buffer.alloc(0) };
  for (let i = Math.min(155, name.length - 2); i > 0; i--)
    if (name[i] === 0x2f && name.length - i - 1 <= 100)
      return { name: name.subarray(i + 1), prefix: name.subarray(0, i) };
  return undefined;
}

function header(
  f: { name: Buffer; prefix: Buffer },
  mode: string,
  size: number,
  type: '0' | 'L',
  mtime: number,
): Buffer {
  if (size >= 8 ** 11) throw new Error('key archive: a key of 8 GiB or more');
  const h = Buffer.alloc(BLOCK);
  const octal = (at: number, width: number, n: number) =>
    h.write(`${n.toString(8).padStart(width - 1, '0')}\0`, at, 'latin1');
  f.name.copy(h, 0);
  octal(100, 8, parseInt(mode, 8));
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, mtime);
  h.write(type, 156, 'latin1');
  h.write('ustar\u000000', 257, 'latin1');
  h.write('root', 265, 'latin1');
  h.write('root', 297, 'latin1');
  f.prefix.copy(h, 345);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}
