/**
 * The export archive of one cluster (`herd export` / `herd import`): a .tar.gz of fixed file names.
 *
 *     herd-export.json   manifest: format version, cluster name and id, when, what key it holds
 *     state.json         the state record, as the state file holds it (no secret, no paths)
 *     known_hosts        the pinned host keys, rendered from the state's nodes
 *     key, key.pub       the key pair herd generated for the cluster (`key` left out on request)
 *
 * Reading checks everything before anything is written: the tar itself (tar.ts), the manifest, the
 * state record against the state schema, and that the files agree with each other.
 */
import { resolve } from 'node:path';
import { renderKnownHosts } from '../ssh/known-hosts.js';
import { migrate } from '../state/migrate.js';
import { validateClusterName } from '../state/names.js';
import { checkClusterState } from '../state/schema.js';
import { archiveError, readTarGz, type TarEntry, writeTarGz } from '../state/tar.js';
import type { StoredClusterState } from '../state/types.js';

/** Format version of the archive; a reader refuses any other. */
export const ARCHIVE_FORMAT = 1;

/** Largest archive file herd reads, and largest size unpacked (a state of thousands of nodes fits easily). */
export const MAX_ARCHIVE_BYTES = 32 * 1024 * 1024;
const MAX_ENTRY_BYTES = 16 * 1024 * 1024;

const FILES = {
  manifest: 'herd-export.json',
  state: 'state.json',
  knownHosts: 'known_hosts',
  privateKey: 'key',
  publicKey: 'key.pub',
} as const;

/** Names an archive may hold. */
export const ARCHIVE_NAMES: ReadonlySet<string> = new Set(Object.values(FILES));

/**
 * Which key the archive carries: `included` (the generated pair), `left-out` (only its public half:
 * `--no-private-key`), `login` (none: the cluster uses the login section's own key pair).
 */
export type ArchivedKey = 'included' | 'left-out' | 'login';

/** herd-export.json. */
export interface ArchiveManifest {
  format: typeof ARCHIVE_FORMAT;
  cluster: string;
  id: string | null;
  exportedAt: string;
  key: ArchivedKey;
  /** Absolute storage directory of the exporting install (where local nodes live). */
  storageDir: string;
}

/** What an archive holds, checked. */
export interface ClusterArchive {
  manifest: ArchiveManifest;
  state: StoredClusterState;
  knownHosts: string;
  privateKey?: Buffer | undefined;
  publicKey?: Buffer | undefined;
}

/** The archive bytes (gzip-compressed tar) of `archive`. */
export function writeClusterArchive(archive: ClusterArchive): Buffer {
  const text = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  const entries: TarEntry[] = [
    { name: FILES.manifest, data: text(archive.manifest) },
    { name: FILES.state, data: text(archive.state) },
    { name: FILES.knownHosts, data: Buffer.from(archive.knownHosts) },
  ];
  if (archive.privateKey) entries.push({ name: FILES.privateKey, data: archive.privateKey });
  if (archive.publicKey) entries.push({ name: FILES.publicKey, data: archive.publicKey });
  return writeTarGz(entries, new Date(archive.manifest.exportedAt));
}

/** known_hosts text for the pinned keys of a state record. */
export function knownHostsOf(state: Pick<StoredClusterState, 'nodes'>): string {
  return renderKnownHosts(
    state.nodes.flatMap((n) => (n.hostKey ? [{ name: n.name, hostKey: n.hostKey }] : [])),
  );
}

/** Reads and checks an archive (`source` names it in messages). Throws ArchiveInvalid (exit 2). */
export function readClusterArchive(bytes: Buffer, source: string): ClusterArchive {
  const fail = (problem: string, hint?: string) => archiveError(source, problem, hint);
  const files = readTarGz(bytes, {
    allowedNames: ARCHIVE_NAMES,
    maxTotalBytes: MAX_ARCHIVE_BYTES,
    maxEntryBytes: MAX_ENTRY_BYTES,
    source,
  });
  const manifest = readManifest(files.get(FILES.manifest), fail);
  const state = readState(files.get(FILES.state), fail);
  if (state.name !== manifest.cluster || (state.id ?? null) !== manifest.id) {
    throw fail(
      `${FILES.manifest} names cluster "${manifest.cluster}" (id ${manifest.id}), but ${FILES.state} holds "${state.name}" (id ${state.id ?? null})`,
    );
  }
  const knownHosts = files.get(FILES.knownHosts)?.toString('utf8');
  if (knownHosts === undefined) throw fail(`it has no ${FILES.knownHosts}`);
  if (knownHosts !== knownHostsOf(state)) {
    throw fail(`its ${FILES.knownHosts} does not pin the host keys its ${FILES.state} records`);
  }
  const privateKey = files.get(FILES.privateKey);
  const publicKey = files.get(FILES.publicKey);
  const usesLoginKey = state.template.login.userKeyPrivate !== undefined;
  const expected: Record<ArchivedKey, [boolean, boolean]> = {
    included: [true, true],
    'left-out': [false, true],
    login: [false, false],
  };
  const [wantPrivate, wantPublic] = expected[manifest.key];
  if ((manifest.key === 'login') !== usesLoginKey) {
    throw fail(
      `${FILES.manifest} says key "${manifest.key}", which does not fit the cluster's login section`,
    );
  }
  if ((privateKey !== undefined) !== wantPrivate || (publicKey !== undefined) !== wantPublic) {
    throw fail(`its key files do not match ${FILES.manifest}'s key "${manifest.key}"`);
  }
  if (privateKey && !/^-----BEGIN [A-Z ]*PRIVATE KEY-----\n/.test(privateKey.toString('utf8'))) {
    throw fail(`its ${FILES.privateKey} is not a private key in OpenSSH or PEM format`);
  }
  if (publicKey && !/^[a-z0-9@.-]+ [A-Za-z0-9+/=]+( [^\n]*)?\n?$/.test(publicKey.toString('utf8'))) {
    throw fail(`its ${FILES.publicKey} is not one OpenSSH public key line`);
  }
  return { manifest, state, knownHosts, privateKey, publicKey };
}

type Fail = (problem: string, hint?: string) => Error;

function parseJson(data: Buffer | undefined, name: string, fail: Fail): unknown {
  if (data === undefined) throw fail(`it has no ${name}`);
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw fail(`its ${name} is not valid JSON (${(error as Error).message})`);
  }
}

function readManifest(data: Buffer | undefined, fail: Fail): ArchiveManifest {
  const raw = parseJson(data, FILES.manifest, fail);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw fail(`its ${FILES.manifest} is not an object`);
  const m = raw as Record<string, unknown>;
  if (m['format'] !== ARCHIVE_FORMAT) {
    const newer = typeof m['format'] === 'number' && m['format'] > ARCHIVE_FORMAT;
    throw fail(
      `it is export format version ${JSON.stringify(m['format'])}; this herd reads version ${ARCHIVE_FORMAT}`,
      newer ? 'Upgrade herd to import it.' : undefined,
    );
  }
  const cluster = m['cluster'];
  if (typeof cluster !== 'string') throw fail(`its ${FILES.manifest} has no cluster name`);
  try {
    validateClusterName(cluster);
  } catch (error) {
    throw fail(`its ${FILES.manifest} names an invalid cluster: ${(error as Error).message}`);
  }
  const id = m['id'];
  if (id !== null && (typeof id !== 'string' || !/^[0-9a-f]{8}$/.test(id))) {
    throw fail(`its ${FILES.manifest} has an invalid cluster id ${JSON.stringify(id)}`);
  }
  const exportedAt = m['exportedAt'];
  if (typeof exportedAt !== 'string' || Number.isNaN(Date.parse(exportedAt))) {
    throw fail(`its ${FILES.manifest} has no valid exportedAt time`);
  }
  const key = m['key'];
  if (key !== 'included' && key !== 'left-out' && key !== 'login') {
    throw fail(`its ${FILES.manifest} has an unknown key value ${JSON.stringify(key)}`);
  }
  const storageDir = m['storageDir'];
  if (typeof storageDir !== 'string' || !storageDir.startsWith('/') || resolve(storageDir) !== storageDir) {
    throw fail(
      `its ${FILES.manifest} has no absolute, normalized storageDir (${JSON.stringify(storageDir)})`,
    );
  }
  const known = ['format', 'cluster', 'id', 'exportedAt', 'key', 'storageDir'];
  const extra = Object.keys(m).filter((k) => !known.includes(k));
  if (extra.length > 0) throw fail(`its ${FILES.manifest} has unknown fields: ${extra.join(', ')}`);
  return { format: ARCHIVE_FORMAT, cluster, id, exportedAt, key, storageDir };
}

function readState(data: Buffer | undefined, fail: Fail): StoredClusterState {
  const raw = parseJson(data, FILES.state, fail);
  let state: unknown;
  try {
    state = migrate(raw, FILES.state);
  } catch (error) {
    throw fail(`its ${FILES.state} cannot be read: ${(error as Error).message}`);
  }
  const problems = checkClusterState(state);
  if (problems.length > 0)
    throw fail(`its ${FILES.state} is not a valid state record: ${problems.join('; ')}`);
  return state as StoredClusterState;
}
