/**
 * A minimal gzip-compressed tar (POSIX ustar) of plain files, enough for herd's export archives and
 * strict enough to read untrusted ones: only regular files with plain names from an allow-list, no
 * links, devices or directories, no extended headers, no duplicate names, sizes bounded before and
 * after decompression. Anything else is refused with ArchiveInvalid (exit 2), never skipped.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { ExitCode, HerdError } from '../errors.js';

const BLOCK = 512;

/** One file of an archive. */
export interface TarEntry {
  name: string;
  data: Buffer;
}

/** Limits and allowed names for reading an archive. */
export interface TarReadOptions {
  /** Names an entry may have; every other name is refused. */
  allowedNames: ReadonlySet<string>;
  /** Largest archive after decompression, in bytes. */
  maxTotalBytes: number;
  /** Largest single entry, in bytes. */
  maxEntryBytes: number;
  /** Where the archive came from, for messages. */
  source: string;
}

/** An archive that herd will not read: what is wrong, where, and that it was not imported. */
export function archiveError(source: string, problem: string, hint?: string): HerdError {
  return new HerdError('ArchiveInvalid', `Refusing archive ${source}: ${problem}.`, {
    exitCode: ExitCode.Usage,
    hint: `Nothing was imported. ${hint ?? 'Export the cluster again with "herd export NAME -o FILE" and use that file.'}`,
  });
}

/** A gzip-compressed ustar archive of `entries`, each a regular file of mode 0600. */
export function writeTarGz(entries: readonly TarEntry[], mtime: Date = new Date()): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    blocks.push(header(entry.name, entry.data.length, mtime));
    blocks.push(entry.data);
    const pad = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
    if (pad > 0) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(2 * BLOCK));
  return gzipSync(Buffer.concat(blocks));
}

function header(name: string, size: number, mtime: Date): Buffer {
  const h = Buffer.alloc(BLOCK);
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
  h.write(name, 0, 100, 'utf8');
  writeOctal(h, 100, 8, 0o600);
  writeOctal(h, 108, 8, 0);
  writeOctal(h, 116, 8, 0);
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, Math.floor(mtime.getTime() / 1000));
  h.fill(' ', 148, 156);
  h.write('0', 156, 1, 'latin1');
  h.write('ustar\u000000', 257, 8, 'latin1');
  writeOctal(h, 148, 8, checksum(h));
  return h;
}

function writeOctal(buffer: Buffer, offset: number, length: number, value: number): void {
  buffer.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'latin1');
}

function checksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum;
}

/** What a tar type flag means, for messages. */
const TYPE_NAMES: Record<string, string> = {
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '5': 'a directory',
  '6': 'a FIFO',
  '7': 'a contiguous file',
  x: 'a pax extended header',
  g: 'a pax global header',
  L: 'a GNU long name',
  K: 'a GNU long link name',
};

/**
 * Reads a gzip-compressed ustar archive, checking every entry (see the file comment). Throws
 * ArchiveInvalid (exit 2) on the first problem; returns the entries by name.
 */
export function readTarGz(compressed: Buffer, options: TarReadOptions): Map<string, Buffer> {
  const fail = (problem: string) => archiveError(options.source, problem);
  if (compressed.length < 2 || compressed[0] !== 0x1f || compressed[1] !== 0x8b) {
    throw fail('it is not a gzip file (a herd export is a .tar.gz)');
  }
  let tar: Buffer;
  try {
    tar = gunzipSync(compressed, { maxOutputLength: options.maxTotalBytes });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw fail(`it unpacks to more than ${options.maxTotalBytes} bytes, the limit for a herd export`);
    }
    throw fail(`its gzip data is truncated or corrupt (${(error as Error).message})`);
  }
  const entries = new Map<string, Buffer>();
  let offset = 0;
  for (;;) {
    if (offset + BLOCK > tar.length)
      throw fail('the tar data ends without its end-of-archive marker (truncated)');
    const h = tar.subarray(offset, offset + BLOCK);
    if (h.every((b) => b === 0)) break;
    const name = readName(h);
    const where = `entry "${name}"`;
    if (readOctal(h, 148, 8) !== checksum(h))
      throw fail(`${where} has a bad header checksum (corrupt or not a tar)`);
    const type = String.fromCharCode(h[156]!);
    if (type !== '0' && type !== '\u0000') {
      throw fail(`${where} is ${TYPE_NAMES[type] ?? `of tar type "${type}"`}; only plain files are allowed`);
    }
    checkName(name, options, fail);
    if (entries.has(name)) throw fail(`${where} appears twice`);
    const size = readOctal(h, 124, 12);
    if (size === undefined) throw fail(`${where} has an unreadable size field`);
    if (size > options.maxEntryBytes) {
      throw fail(`${where} has ${size} bytes, more than the limit of ${options.maxEntryBytes}`);
    }
    const start = offset + BLOCK;
    if (start + size > tar.length) throw fail(`${where} is cut short (truncated archive)`);
    entries.set(name, Buffer.from(tar.subarray(start, start + size)));
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  if (!tar.subarray(offset).every((b) => b === 0))
    throw fail('there is data after the end-of-archive marker');
  return entries;
}

function readName(h: Buffer): string {
  const field = (start: number, length: number) => {
    const raw = h.subarray(start, start + length);
    const end = raw.indexOf(0);
    return raw.subarray(0, end === -1 ? length : end).toString('utf8');
  };
  const name = field(0, 100);
  const isUstar = h.subarray(257, 262).toString('latin1') === 'ustar';
  const prefix = isUstar ? field(345, 155) : '';
  return prefix === '' ? name : `${prefix}/${name}`;
}

function readOctal(h: Buffer, start: number, length: number): number | undefined {
  const text = h
    .subarray(start, start + length)
    .toString('latin1')
    .replace(/[\u0000 ]+$/, '')
    .trim();
  if (!/^[0-7]+$/.test(text)) return undefined;
  return Number.parseInt(text, 8);
}

function checkName(name: string, options: TarReadOptions, fail: (problem: string) => HerdError): void {
  const where = `entry ${JSON.stringify(name)}`;
  if (name.startsWith('/')) throw fail(`${where} has an absolute path; only plain names are allowed`);
  if (name.split(/[/\\]/).includes('..')) throw fail(`${where} leads out of the archive with ".."`);
  if (!options.allowedNames.has(name)) {
    throw fail(
      `${where} is not a file a herd export holds (allowed: ${[...options.allowedNames].join(', ')})`,
    );
  }
}
