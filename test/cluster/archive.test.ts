/**
 * The export archive reader and writer: what herd writes reads back the same and is a tar GNU tar
 * reads; every tampered archive is refused with ArchiveInvalid (exit 2) and a message naming the
 * problem, before anything could be written.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  type ArchiveManifest,
  type ClusterArchive,
  knownHostsOf,
  readClusterArchive,
  writeClusterArchive,
} from '../../src/cluster/archive.js';
import { HerdError } from '../../src/errors.js';
import { readTarGz, type TarEntry, writeTarGz } from '../../src/state/tar.js';
import type { StoredClusterState } from '../../src/state/types.js';
import { clusterState, node } from '../ssh/fixtures.js';

const PRIVATE_KEY = Buffer.from(
  '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
);
const PUBLIC_KEY = Buffer.from('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA herd-c1\n');

function sampleArchive(): ClusterArchive {
  const { paths: _paths, ...state } = clusterState([
    node('frontend001', '10.1.0.2', { hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyA' }),
    node('compute001', '10.1.0.3', { hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyB' }),
  ]);
  const stored: StoredClusterState = { ...state, name: 'c1', id: '1a2b3c4d' };
  const manifest: ArchiveManifest = {
    format: 1,
    cluster: 'c1',
    id: '1a2b3c4d',
    exportedAt: '2026-01-01T00:00:00.000Z',
    key: 'included',
    storageDir: '/var/lib/herd',
  };
  return {
    manifest,
    state: stored,
    knownHosts: knownHostsOf(stored),
    privateKey: PRIVATE_KEY,
    publicKey: PUBLIC_KEY,
  };
}

/** The entries of the sample archive, to tamper with. */
function sampleEntries(): TarEntry[] {
  const a = sampleArchive();
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  return [
    { name: 'herd-export.json', data: json(a.manifest) },
    { name: 'state.json', data: json(a.state) },
    { name: 'known_hosts', data: Buffer.from(a.knownHosts) },
    { name: 'key', data: PRIVATE_KEY },
    { name: 'key.pub', data: PUBLIC_KEY },
  ];
}

/** Sets the type flag of the entry at block `index` of a .tar.gz and fixes its checksum. */
function withTypeFlag(archive: Buffer, blockOffset: number, flag: string): Buffer {
  const tar = gunzipSync(archive);
  const h = tar.subarray(blockOffset, blockOffset + 512);
  h.write(flag, 156, 1, 'latin1');
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(7, '0')}\u0000`, 148, 8, 'latin1');
  return gzipSync(tar);
}

function refusal(bytes: Buffer): HerdError {
  try {
    readClusterArchive(bytes, '/tmp/x.tar.gz');
  } catch (error) {
    expect(error).toBeInstanceOf(HerdError);
    return error as HerdError;
  }
  throw new Error('the archive was accepted');
}

describe('writeClusterArchive / readClusterArchive', () => {
  it('reads back what it wrote', () => {
    const archive = sampleArchive();
    const read = readClusterArchive(writeClusterArchive(archive), 'x');
    expect(read.manifest).toEqual(archive.manifest);
    expect(read.state).toEqual(archive.state);
    expect(read.knownHosts).toBe(archive.knownHosts);
    expect(read.privateKey?.equals(PRIVATE_KEY)).toBe(true);
    expect(read.publicKey?.equals(PUBLIC_KEY)).toBe(true);
  });

  it('writes a tar that GNU tar lists as plain 0600 files, and reads one GNU tar wrote', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herd-archive-'));
    try {
      const file = join(dir, 'a.tar.gz');
      writeFileSync(file, writeClusterArchive(sampleArchive()));
      const listing = execFileSync('tar', ['-tvzf', file], { encoding: 'utf8' }).trim().split('\n');
      expect(listing.map((l) => l.split(/\s+/).at(-1))).toEqual([
        'herd-export.json',
        'state.json',
        'known_hosts',
        'key',
        'key.pub',
      ]);
      for (const line of listing) expect(line).toMatch(/^-rw------- /);
      // GNU tar extracts it and packs it again (ustar); herd reads that.
      const out = join(dir, 'x');
      execFileSync('mkdir', [out]);
      execFileSync('tar', ['-xzf', file, '-C', out]);
      const repacked = join(dir, 'b.tar.gz');
      execFileSync('tar', [
        '--format=ustar',
        '-czf',
        repacked,
        '-C',
        out,
        'herd-export.json',
        'state.json',
        'known_hosts',
        'key.pub',
        'key',
      ]);
      expect(readClusterArchive(readFileSync(repacked), repacked).state.name).toBe('c1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads an archive without the private key (--no-private-key)', () => {
    const archive = { ...sampleArchive(), privateKey: undefined };
    archive.manifest = { ...archive.manifest, key: 'left-out' };
    expect(readClusterArchive(writeClusterArchive(archive), 'x').privateKey).toBeUndefined();
  });
});

describe('a tampered archive is refused with exit 2', () => {
  const cases: { what: string; bytes: () => Buffer; message: RegExp }[] = [
    {
      what: 'path traversal ../x',
      bytes: () => writeTarGz([...sampleEntries(), { name: '../x', data: Buffer.from('x') }]),
      message: /entry "\.\.\/x" leads out of the archive with "\.\."/,
    },
    {
      what: 'traversal hidden in a path',
      bytes: () => writeTarGz([{ name: 'a/../../etc/cron.d/x', data: Buffer.from('x') }, ...sampleEntries()]),
      message: /leads out of the archive/,
    },
    {
      what: 'an absolute path',
      bytes: () => writeTarGz([{ name: '/etc/passwd', data: Buffer.from('x') }, ...sampleEntries()]),
      message: /entry "\/etc\/passwd" has an absolute path/,
    },
    {
      what: 'a name not on the allow-list',
      bytes: () => writeTarGz([...sampleEntries(), { name: 'evil.sh', data: Buffer.from('x') }]),
      message: /entry "evil\.sh" is not a file a herd export holds/,
    },
    {
      what: 'a symlink entry',
      bytes: () => withTypeFlag(writeTarGz(sampleEntries()), 0, '2'),
      message: /entry "herd-export\.json" is a symbolic link; only plain files are allowed/,
    },
    {
      what: 'a hard link entry',
      bytes: () => withTypeFlag(writeTarGz(sampleEntries()), 0, '1'),
      message: /is a hard link/,
    },
    {
      what: 'a device entry',
      bytes: () => withTypeFlag(writeTarGz(sampleEntries()), 0, '3'),
      message: /is a character device/,
    },
    {
      what: 'a pax header',
      bytes: () => withTypeFlag(writeTarGz(sampleEntries()), 0, 'x'),
      message: /is a pax extended header/,
    },
    {
      what: 'a wrong format version',
      bytes: () => {
        const a = sampleArchive();
        return writeClusterArchive({ ...a, manifest: { ...a.manifest, format: 2 as 1 } });
      },
      message: /export format version 2; this herd reads version 1/,
    },
    {
      what: 'truncated gzip',
      bytes: () => {
        const whole = writeTarGz(sampleEntries());
        return whole.subarray(0, Math.floor(whole.length / 2));
      },
      message: /gzip data is truncated or corrupt/,
    },
    {
      what: 'not gzip at all',
      bytes: () => Buffer.from('PK\u0003\u0004 a zip file'),
      message: /not a gzip file/,
    },
    {
      what: 'a tar cut short inside an entry',
      bytes: () => gzipSync(gunzipSync(writeTarGz(sampleEntries())).subarray(0, 512 + 100)),
      message: /cut short|truncated/,
    },
    {
      what: 'a duplicate entry',
      bytes: () => {
        const entries = sampleEntries();
        return writeTarGz([...entries, entries[2]!]);
      },
      message: /entry "known_hosts" appears twice/,
    },
    {
      what: 'an oversized archive (unpacks past the limit)',
      bytes: () =>
        writeTarGz([
          ...sampleEntries().slice(0, 4),
          { name: 'key.pub', data: Buffer.alloc(40 * 1024 * 1024) },
        ]),
      message: /unpacks to more than \d+ bytes/,
    },
    {
      what: 'an invalid cluster name',
      bytes: () => {
        const a = sampleArchive();
        return writeClusterArchive({ ...a, manifest: { ...a.manifest, cluster: '../c1' } });
      },
      message: /names an invalid cluster: Invalid cluster name "\.\.\/c1"/,
    },
    {
      what: 'a storage dir with ".." in it',
      bytes: () => {
        const a = sampleArchive();
        return writeClusterArchive({ ...a, manifest: { ...a.manifest, storageDir: '/srv/../etc' } });
      },
      message: /has no absolute, normalized storageDir \("\/srv\/\.\.\/etc"\)/,
    },
    {
      what: 'a state of another cluster than the manifest names',
      bytes: () => {
        const a = sampleArchive();
        return writeClusterArchive({ ...a, state: { ...a.state, name: 'other' } });
      },
      message: /names cluster "c1" \(id 1a2b3c4d\), but state\.json holds "other"/,
    },
    {
      what: 'a state record that fails the schema',
      bytes: () => {
        const a = sampleArchive();
        return writeClusterArchive({ ...a, state: { ...a.state, nodes: 'many' as never } });
      },
      message: /state\.json is not a valid state record: \/nodes must be array/,
    },
    {
      what: 'known_hosts that pins other keys than the state',
      bytes: () =>
        writeClusterArchive({ ...sampleArchive(), knownHosts: 'frontend001 ssh-ed25519 AAAAother\n' }),
      message: /known_hosts does not pin the host keys/,
    },
    {
      what: 'a private key the manifest does not announce',
      bytes: () => {
        const a = sampleArchive();
        return writeClusterArchive({ ...a, manifest: { ...a.manifest, key: 'left-out' } });
      },
      message: /key files do not match/,
    },
  ];

  it.each(cases)('$what', ({ bytes, message }) => {
    const error = refusal(bytes());
    expect(error.code).toBe('ArchiveInvalid');
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/^Refusing archive \/tmp\/x\.tar\.gz: /);
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(/Nothing was imported/);
  });

  it('refuses a single entry over the entry limit', () => {
    const bytes = writeTarGz([{ name: 'key.pub', data: Buffer.alloc(2000) }]);
    expect(() =>
      readTarGz(bytes, {
        allowedNames: new Set(['key.pub']),
        maxTotalBytes: 1 << 20,
        maxEntryBytes: 1000,
        source: 's',
      }),
    ).toThrow(/entry "key\.pub" has 2000 bytes, more than the limit of 1000/);
  });
});
