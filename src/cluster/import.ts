/**
 * `herd import`: a cluster from an archive of `herd export`, checked in full before anything is
 * written, into this storage directory, optionally under a new name.
 *
 * Identity: the imported cluster keeps the exporting cluster's id and the name its cloud resources
 * carry (`origin`), because it is the same cluster: only with them does herd find, and may it
 * terminate, its instances. Both installs can then manage those instances; export records itself in
 * the original's state and the copy carries that record, so `stop` on either side says so first.
 */
import { lstat, readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ExitCode, HerdError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import { type ClusterState, type StateRepository, validateClusterName } from '../state/index.js';
import { errnoCode } from '../state/problems.js';
import { archiveError } from '../state/tar.js';
import { pathExists } from '../util/path-exists.js';
import { type ArchivedKey, MAX_ARCHIVE_BYTES, readClusterArchive } from './archive.js';
import { clusterRef } from './records.js';

/** Options of importCluster. */
export interface ImportOptions {
  readonly repo: StateRepository;
  /** The archive `herd export` wrote. */
  readonly file: string;
  /** Name for the cluster here (`-n`); default the exported name. */
  readonly newName?: string | undefined;
}

/** Something the importing user must still provide. */
export interface ImportNeed {
  what: 'cloud-section' | 'private-key' | 'login-key' | 'same-host' | 'playbook';
  text: string;
}

/** What importCluster did. */
export interface ImportResult {
  cluster: string;
  from: string;
  id: string | null;
  provider: string;
  nodes: number;
  key: ArchivedKey;
  needs: ImportNeed[];
}

/** Imports the archive `options.file`; refuses an existing cluster name or a second copy of one cluster. */
export async function importCluster(options: ImportOptions): Promise<ImportResult> {
  const { repo } = options;
  const file = resolve(options.file);
  const archive = readClusterArchive(await readArchiveFile(file), file);
  const name = options.newName ?? archive.state.name;
  validateClusterName(name);
  const lock = await repo.lock(name);
  try {
    if (await repo.exists(name)) {
      throw new HerdError(
        'ClusterExists',
        `A cluster named "${name}" already exists in ${repo.dir}; nothing was imported.`,
        {
          exitCode: ExitCode.Usage,
          hint: `Import it under another name with -n NEWNAME, or use another storage directory (-s/--storage).`,
        },
      );
    }
    const origin = clusterRef(archive.state);
    if (origin.id !== undefined) {
      const { clusters } = await repo.list();
      const twin = clusters.find((c) => c.id === origin.id && clusterRef(c).name === origin.name);
      if (twin) {
        throw new HerdError(
          'ClusterExists',
          `Cluster "${twin.name}" in ${repo.dir} already is this cluster (id ${origin.id}); nothing was imported.`,
          {
            exitCode: ExitCode.Usage,
            hint: `Manage it as "${twin.name}"; one storage directory holds one copy of a cluster.`,
          },
        );
      }
    }
    const state: ClusterState = {
      ...archive.state,
      name,
      origin: {
        name: origin.name,
        storageDir: archive.manifest.storageDir,
        exportedAt: archive.manifest.exportedAt,
        importedAt: new Date().toISOString(),
      },
      exportedAt: archive.manifest.exportedAt,
      paths: repo.pathsFor(name, archive.state.template.login),
    };
    const written: string[] = [];
    const write = async (path: string, data: string | Buffer, mode: number) => {
      await writeFileAtomic(path, data, mode);
      written.push(path);
    };
    try {
      if (archive.privateKey) await write(state.paths.privateKey, archive.privateKey, 0o600);
      if (archive.publicKey) await write(state.paths.publicKey, archive.publicKey, 0o644);
      await write(state.paths.knownHosts, archive.knownHosts, 0o600);
      // Last: a cluster is listed only once its files are in place.
      await repo.save(state);
    } catch (error) {
      for (const path of written) await rm(path, { force: true });
      throw error;
    }
    return {
      cluster: name,
      from: archive.state.name,
      id: state.id ?? null,
      provider: state.template.cloud.provider,
      nodes: state.nodes.length,
      key: archive.manifest.key,
      needs: [
        ...needsOf(state, archive.manifest.key),
        ...((await pathExists(state.template.setup.playbookPath))
          ? []
          : [
              {
                what: 'playbook' as const,
                text: `The playbook ${state.template.setup.playbookPath}, which herd setup and resize run: it is not on this machine.`,
              },
            ]),
      ],
    };
  } finally {
    await lock.release();
  }
}

async function readArchiveFile(file: string): Promise<Buffer> {
  try {
    const info = await lstat(file);
    if (!info.isFile()) throw archiveError(file, 'it is not a regular file');
    if (info.size > MAX_ARCHIVE_BYTES) {
      throw archiveError(file, `it has ${info.size} bytes, more than the limit of ${MAX_ARCHIVE_BYTES}`);
    }
    return await readFile(file);
  } catch (error) {
    if (error instanceof HerdError) throw error;
    if (errnoCode(error) === 'ENOENT') {
      throw new UsageError(`No archive ${file}: the file does not exist.`, {
        hint: 'Name the file "herd export NAME -o FILE" wrote.',
      });
    }
    throw new UsageError(`Cannot read archive ${file}: ${(error as Error).message}`);
  }
}

/** What the importing user still has to provide before the cluster is fully theirs to manage. */
function needsOf(state: ClusterState, key: ArchivedKey): ImportNeed[] {
  const cloud = state.template.cloud;
  const needs: ImportNeed[] = [];
  if (cloud.provider === 'local') {
    needs.push({
      what: 'same-host',
      text: `Its nodes are local (systemd-nspawn) nodes in ${state.origin?.storageDir}/local on the host that exported it: herd can stop or resize them only there.`,
    });
  } else {
    needs.push({
      what: 'cloud-section',
      text: `A [cloud/${cloud.name}] section (provider ${cloud.provider}) with its credentials in your configuration: the archive holds no credentials, and commands that talk to the cloud (stop, resize, list-nodes -u) need them.`,
    });
  }
  if (key === 'left-out') {
    needs.push({
      what: 'private-key',
      text: `The cluster's private key, left out of the archive: copy it to ${state.paths.privateKey} (chmod 600); ssh, sftp, setup and resize need it.`,
    });
  } else if (key === 'login') {
    needs.push({
      what: 'login-key',
      text: `The key pair the login section names: ${state.paths.privateKey} and ${state.paths.publicKey} on this machine.`,
    });
  }
  return needs;
}
