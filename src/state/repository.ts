/**
 * The state repository: one JSON file per cluster in the storage dir, next to the cluster's other
 * files (flat, as ElastiCluster lays it out):
 *
 *     <dir>/<name>.json          state (mode 0600, written atomically)
 *     <dir>/<name>.lock          held while a command changes the cluster
 *     <dir>/<name>.known_hosts   pinned host keys
 *     <dir>/<name>.inventory     Ansible inventory
 *     <dir>/<name>.key[.pub]     key pair herd generated (when the login section names none)
 *     <dir>/<name>.ansible.pid   PID of a running ansible-playbook (so a crashed run's is stopped)
 *
 * These paths are always derived from the directory and the cluster name; the state file does not
 * hold them, so nothing in it can point herd's writes elsewhere.
 */
import { chmod, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { LoginSection, Template } from '../config/types.js';
import { StateError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { type BeforeRename, syncDirectory, writeFileAtomic } from './atomic-file.js';
import { acquireLock, type ClusterLock } from './lock.js';
import { migrate } from './migrate.js';
import { validateClusterName } from './names.js';
import { corruptStateError, errnoCode, ioStateError } from './problems.js';
import { redactTemplate } from './redact.js';
import { checkClusterState } from './schema.js';
import type { ClusterPaths, ClusterState, StoredClusterState } from './types.js';

/** Options of StateRepository.open. */
export interface StateRepositoryOptions {
  /** Runs between writing a state file's temp file and renaming it into place (tests use it to crash there). */
  beforeRename?: BeforeRename;
}

/** Options of StateRepository.save. */
export interface SaveOptions {
  /** Replace a state file that cannot be read (corrupt, or from a newer herd). Only on the user's explicit request. */
  overwriteCorrupt?: boolean;
}

/** Every cluster that could be read, and an error for each state file that could not. */
export interface ListResult {
  clusters: ClusterState[];
  errors: StateError[];
}

const STATE_SUFFIX = '.json';

/** Reads and writes cluster state files in one storage directory. */
export class StateRepository {
  /** Absolute path of the storage directory. */
  readonly dir: string;
  readonly #beforeRename: BeforeRename | undefined;

  private constructor(dir: string, options: StateRepositoryOptions) {
    this.dir = dir;
    this.#beforeRename = options.beforeRename;
  }

  /**
   * Opens the storage dir, creating it with mode 0700. An existing dir that group or others can
   * access is tightened to 0700: it holds private keys.
   */
  static async open(dir: string, options: StateRepositoryOptions = {}): Promise<StateRepository> {
    const absolute = resolve(dir);
    const notADirectory = () =>
      new StateError('StateDirInvalid', `Storage path ${absolute} exists but is not a directory.`, {
        hint: 'Point -s/--storage (or HERD_STORAGE) at a directory.',
      });
    try {
      await mkdir(absolute, { recursive: true, mode: 0o700 });
      const info = await stat(absolute);
      if (!info.isDirectory()) throw notADirectory();
      if ((info.mode & 0o077) !== 0) await chmod(absolute, 0o700);
    } catch (error) {
      if (error instanceof StateError) throw error;
      const code = errnoCode(error);
      if (code === 'EEXIST' || code === 'ENOTDIR') throw notADirectory();
      throw ioStateError('create the storage directory', absolute, error);
    }
    return new StateRepository(absolute, options);
  }

  /**
   * The files of cluster `name` in this storage dir. The key pair is the one herd generates there,
   * unless `login` names the user's own (`user_key_private`, `user_key_public`).
   */
  pathsFor(name: string, login?: Pick<LoginSection, 'userKeyPrivate' | 'userKeyPublic'>): ClusterPaths {
    validateClusterName(name);
    const base = join(this.dir, name);
    const userKey = login?.userKeyPrivate;
    return {
      privateKey: userKey ?? `${base}.key`,
      publicKey: userKey ? (login?.userKeyPublic ?? `${userKey}.pub`) : `${base}.key.pub`,
      knownHosts: `${base}.known_hosts`,
      inventory: `${base}.inventory`,
    };
  }

  /** Where the PID of the cluster's running ansible-playbook is kept. */
  ansiblePidFile(name: string): string {
    validateClusterName(name);
    return join(this.dir, `${name}.ansible.pid`);
  }

  /** Every stored cluster, sorted by name. A file that cannot be read is reported in `errors`, not thrown. */
  async list(): Promise<ListResult> {
    const names = await this.#clusterNames();
    const results = await Promise.all(
      names.map(async (name) => {
        try {
          return await this.#read(name);
        } catch (error) {
          if (error instanceof StateError) return error;
          throw error;
        }
      }),
    );
    const clusters: ClusterState[] = [];
    const errors: StateError[] = [];
    for (const result of results) {
      if (result instanceof StateError) errors.push(result);
      else if (result !== undefined) clusters.push(result);
    }
    return { clusters, errors };
  }

  /** The state of cluster `name`. Throws StateError `ClusterNotFound`, `StateCorrupt` or `StateTooNew`. */
  async load(name: string): Promise<ClusterState> {
    const state = await this.tryLoad(name);
    if (state !== undefined) return state;
    const suggestion = didYouMean(name, await this.#clusterNames());
    throw new StateError('ClusterNotFound', `No cluster named "${name}" in ${this.dir}${suggestion}.`, {
      hint: 'Run "herd list" to see the clusters in this storage directory (-s/--storage).',
    });
  }

  /** Like load, but undefined when the cluster does not exist. */
  async tryLoad(name: string): Promise<ClusterState | undefined> {
    validateClusterName(name);
    return this.#read(name);
  }

  /** Whether a state file for `name` exists (readable or not). */
  async exists(name: string): Promise<boolean> {
    validateClusterName(name);
    try {
      await stat(this.#stateFile(name));
      return true;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return false;
      throw ioStateError('check', this.#stateFile(name), error);
    }
  }

  /**
   * Writes `state` atomically (mode 0600) and sets its `updatedAt`. The template is redacted again
   * and the record checked against the schema first, so nothing unreadable or secret reaches the
   * disk. Refuses to replace a state file that cannot be read unless `overwriteCorrupt` is set.
   * The caller holds the cluster's lock.
   */
  async save(state: ClusterState, options: SaveOptions = {}): Promise<void> {
    validateClusterName(state.name);
    const file = this.#stateFile(state.name);
    if (!options.overwriteCorrupt) await this.#refuseUnreadable(state.name);
    const updatedAt = new Date().toISOString();
    const record: StoredClusterState = { ...storedRecord(state), updatedAt };
    // Round-trip through JSON so the check sees exactly what a later load will read.
    const text = `${JSON.stringify(record, null, 2)}\n`;
    const problems = checkClusterState(JSON.parse(text));
    if (problems.length > 0) {
      throw new StateError(
        'StateInvalid',
        `Refusing to write an invalid state record for cluster "${state.name}": ${problems.join('; ')}.`,
        {
          hint: 'This is a bug in herd; please report it with the command you ran (the old state file is unchanged).',
        },
      );
    }
    try {
      await writeFileAtomic(file, text, 0o600, this.#beforeRename);
    } catch (error) {
      throw ioStateError('write', file, error);
    }
    state.updatedAt = updatedAt;
  }

  /**
   * Deletes cluster `name`: its known_hosts, inventory and generated key pair (a key the login
   * section names is the user's and stays), then the state file last, so a crash halfway leaves
   * the cluster listed. Throws like load when the state cannot be read.
   */
  async remove(name: string): Promise<void> {
    const state = await this.load(name);
    const own = this.pathsFor(name);
    const files = [own.knownHosts, own.inventory, this.ansiblePidFile(name)];
    if (state.paths.privateKey === own.privateKey) files.push(own.privateKey, own.publicKey);
    files.push(this.#stateFile(name));
    for (const file of files) {
      try {
        await rm(file, { force: true });
      } catch (error) {
        throw ioStateError('delete', file, error);
      }
    }
    await syncDirectory(this.dir);
  }

  /**
   * Takes the lock of cluster `name` for a command that changes it. Fails at once with
   * StateLockError when another live process holds it; a dead process's lock is taken over.
   */
  async lock(name: string): Promise<ClusterLock> {
    validateClusterName(name);
    // The lock guards the state file: taking it clears what killed writers of either left.
    return acquireLock(join(this.dir, `${name}.lock`), name, [this.#stateFile(name)]);
  }

  #stateFile(name: string): string {
    return join(this.dir, `${name}${STATE_SUFFIX}`);
  }

  /** Names of the state files in the dir; temp files, locks and foreign files are not state files. */
  async #clusterNames(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(this.dir);
    } catch (error) {
      throw ioStateError('list', this.dir, error);
    }
    return entries
      .filter((entry) => entry.endsWith(STATE_SUFFIX))
      .map((entry) => entry.slice(0, -STATE_SUFFIX.length))
      .filter((name) => {
        try {
          validateClusterName(name);
          return true;
        } catch {
          return false;
        }
      })
      .sort();
  }

  /** Reads, migrates and checks one state file; undefined when it does not exist. */
  async #read(name: string): Promise<ClusterState | undefined> {
    const file = this.#stateFile(name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw ioStateError('read', file, error);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw corruptStateError(file, `not valid JSON (${(error as Error).message})`, error);
    }
    let state: unknown;
    try {
      state = migrate(raw, file);
    } catch (error) {
      // Whatever shape an old or hand-edited file has, it is reported as that file's problem.
      if (error instanceof StateError) throw error;
      throw corruptStateError(file, `it cannot be read as a state file (${String(error)})`, error);
    }
    const problems = checkClusterState(state);
    if (problems.length > 0) throw corruptStateError(file, problems.join('; '));
    const valid = state as StoredClusterState;
    if (valid.name !== name) {
      throw corruptStateError(file, `it records cluster "${valid.name}", but the file name says "${name}"`);
    }
    return { ...valid, paths: this.pathsFor(name, valid.template.login) };
  }

  /** Throws when the existing state file of `name` cannot be read, so that save never replaces it silently. */
  async #refuseUnreadable(name: string): Promise<void> {
    try {
      await this.#read(name);
    } catch (error) {
      if (!(error instanceof StateError) || error.code === 'StateIoFailed') throw error;
      throw new StateError(error.code, `Not saving cluster "${name}": ${error.message}`, {
        hint: `${error.hint ?? ''} To replace it anyway, save with overwriteCorrupt.`.trim(),
        cause: error,
      });
    }
  }
}

/** What the state file of `state` holds: no derived paths, and the template as storedTemplate keeps it. */
export function storedRecord(state: ClusterState): StoredClusterState {
  const { paths: _derived, ...rest } = state;
  return { ...rest, template: storedTemplate(state.template) };
}

/** What of a template the state file keeps: no secret, and no command (ansible_command is read from the config). */
function storedTemplate(template: Template): Template {
  const redacted = redactTemplate(template);
  return { ...redacted, setup: { ...redacted.setup, ansibleCommand: undefined } };
}
