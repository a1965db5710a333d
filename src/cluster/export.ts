/**
 * `herd export`: one cluster's state, pinned host keys and generated key pair in a .tar.gz that
 * `herd import` reads on another machine or storage directory. The archive never holds a cloud secret
 * (the state record is the redacted one the state file holds) and is written 0600, atomically.
 */
import { lstat, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AbortError, StateError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import { type StateRepository, storedRecord } from '../state/index.js';
import { errnoCode } from '../state/problems.js';
import { ARCHIVE_FORMAT, type ArchivedKey, knownHostsOf, writeClusterArchive } from './archive.js';

/** Options of exportCluster. */
export interface ExportOptions {
  readonly repo: StateRepository;
  readonly name: string;
  /** The archive to write; must not exist yet. */
  readonly output: string;
  /** False: leave the generated private key out (`--no-private-key`). */
  readonly includePrivateKey: boolean;
  /** Aborted (Ctrl-C): no archive is written. */
  readonly signal?: AbortSignal | undefined;
}

/** What exportCluster wrote. */
export interface ExportResult {
  file: string;
  cluster: string;
  id: string | null;
  exportedAt: string;
  key: ArchivedKey;
  bytes: number;
}

/**
 * Writes the archive of cluster `name`. Records the export in the cluster's state first, so that the
 * original, like every copy imported from the archive, warns before terminating the shared instances.
 */
export async function exportCluster(options: ExportOptions): Promise<ExportResult> {
  const { repo, name } = options;
  const file = resolve(options.output);
  if (await pathExists(file)) {
    throw new UsageError(`-o/--output: ${file} already exists; herd export does not overwrite files.`, {
      hint: 'Choose another file name, or remove that file first.',
    });
  }
  const lock = await repo.lock(name);
  try {
    const state = await repo.load(name);
    const exportedAt = new Date().toISOString();
    state.exportedAt = exportedAt;
    await repo.save(state);
    const usesLoginKey = state.template.login.userKeyPrivate !== undefined;
    const key: ArchivedKey = usesLoginKey ? 'login' : options.includePrivateKey ? 'included' : 'left-out';
    const record = storedRecord(state);
    const bytes = writeClusterArchive({
      manifest: {
        format: ARCHIVE_FORMAT,
        cluster: name,
        id: state.id ?? null,
        exportedAt,
        key,
        storageDir: state.origin?.storageDir ?? repo.dir,
      },
      state: record,
      knownHosts: knownHostsOf(record),
      privateKey: key === 'included' ? await readKey(state.paths.privateKey, name) : undefined,
      publicKey: key === 'login' ? undefined : await readKey(state.paths.publicKey, name),
    });
    await writeFileAtomic(file, bytes, 0o600, () => {
      if (options.signal?.aborted) throw new AbortError('Interrupted: no archive was written.');
    });
    return { file, cluster: name, id: state.id ?? null, exportedAt, key, bytes: bytes.length };
  } finally {
    await lock.release();
  }
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

async function readKey(path: string, cluster: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new StateError(
      'KeyMissing',
      `Cannot read ${path}, the key pair of cluster "${cluster}": ${String(error)}.`,
      {
        hint: path.endsWith('.pub')
          ? 'Restore the public key (ssh-keygen -y -f <private key> > <public key>) and export again.'
          : 'Export with --no-private-key to leave the private key out, or restore it first.',
        cause: error,
      },
    );
  }
}
