/**
 * A cluster's private run directory, `<storage>/<cluster>.run` (mode 0700, owned by the user, never
 * a symlink): the OpenSSH control sockets of its Ansible runs and the extra-vars files of one run.
 *
 * Each node gets its own control socket, named by a hash of everything that makes a connection
 * trustworthy (cluster, node, address, port, user, pinned host key, proxy command): a master is
 * only ever reused for the very connection that made it, never for a reused IP, another bastion or
 * another cluster. Masters are closed at the end of every run and when the cluster is stopped.
 */
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { SshError } from '../errors.js';

/** The run directory of `cluster` in `storageDir`. */
export function runDirFor(storageDir: string, cluster: string): string {
  return join(storageDir, `${cluster}.run`);
}

// sun_path holds 108 bytes with the final NUL, and OpenSSH first binds `<ControlPath>.<16 random
// characters>`, then renames it into place.
const MAX_SOCKET_PATH = 107 - 17;
const HASH_LENGTH = 16;

/** Whether control sockets fit under `runDir`; when they do not, Ansible runs without connection sharing. */
export function controlSocketsFit(runDir: string): boolean {
  return runDir.length + 1 + HASH_LENGTH <= MAX_SOCKET_PATH;
}

/** What identifies one trustworthy connection to a node. */
export interface ConnectionIdentity {
  cluster: string;
  node: string;
  ip: string;
  port: number;
  user: string;
  /** The pinned host key (`<type> <base64>`), when known. */
  hostKey: string | undefined;
  proxyCommand: string | undefined;
}

/** The control socket of one node's connection, or undefined when the path would be too long. */
export function controlPathFor(runDir: string, connection: ConnectionIdentity): string | undefined {
  if (!controlSocketsFit(runDir)) return undefined;
  const hash = createHash('sha256').update(JSON.stringify(connection)).digest('hex').slice(0, HASH_LENGTH);
  return join(runDir, hash);
}

/**
 * Creates the run directory (0700) if needed and checks it and its parent: a directory, not a
 * symlink, owned by this user, that nobody else may write to. Anything else is refused, since a
 * control socket someone else placed there would carry herd's connections.
 */
export async function ensureRunDir(runDir: string, uid: number = process.getuid?.() ?? 0): Promise<void> {
  // The storage dir may be a symlink the user made; what it points to must be private.
  const parent = dirname(runDir);
  const parentInfo = await stat(parent);
  if (parentInfo.uid !== uid || (parentInfo.mode & 0o022) !== 0) {
    throw unsafe(parent, `is owned by uid ${parentInfo.uid} or writable by others`);
  }
  try {
    await mkdir(runDir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const info = await lstat(runDir);
  if (info.isSymbolicLink()) throw unsafe(runDir, 'is a symbolic link');
  if (!info.isDirectory()) throw unsafe(runDir, 'is not a directory');
  if (info.uid !== uid) throw unsafe(runDir, `is owned by uid ${info.uid}, not ${uid}`);
  if ((info.mode & 0o077) !== 0) await chmod(runDir, 0o700);
}

function unsafe(path: string, why: string): SshError {
  return new SshError(
    'RunDirUnsafe',
    `${path} ${why}; herd keeps SSH control sockets there and refuses to use it.`,
    {
      hint: `Remove ${path} (herd recreates it) or fix its owner and mode (chown $(id -u) ${path}; chmod 700 ${path}).`,
    },
  );
}

/** Closes every control master under `runDir` (`ssh -O exit`) and removes their sockets. */
export async function closeControlMasters(runDir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(runDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await Promise.all(
    names.map(async (name) => {
      const path = join(runDir, name);
      const info = await lstat(path).catch(() => undefined);
      if (!info?.isSocket()) return;
      // The host name is required by the syntax only: the socket alone names the master.
      await execa('ssh', ['-O', 'exit', '-o', `ControlPath=${path.replaceAll('%', '%%')}`, 'herd-master'], {
        reject: false,
        stdin: 'ignore',
        timeout: 10_000,
        extendEnv: false,
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
      });
      await rm(path, { force: true });
    }),
  );
}

/** Closes the masters and removes the run directory (when a cluster is stopped). */
export async function removeRunDir(runDir: string): Promise<void> {
  await closeControlMasters(runDir);
  await rm(runDir, { recursive: true, force: true });
}
