/**
 * Walking file trees for `herd put` and `herd get`: the local sources of a put (read once, sent to
 * every node) and a node's remote tree for a get, both as flat lists of entries relative to the
 * tree's top. Symbolic links inside a tree are copied as links, never followed (no loops, nothing
 * outside the tree); a top-level argument that is a link is followed, as cp and scp do.
 */
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';
import { UsageError } from '../errors.js';

/** One file, directory or link of a tree. */
export interface TreeEntry {
  /** Path below the tree's top, `/`-separated; '' is the top itself. */
  rel: string;
  type: 'file' | 'dir' | 'symlink';
  size: number;
  /** Permission bits. */
  mode: number;
  /** Target of a link. */
  link?: string;
}

/** A tree to copy: where it is, the name it gets at the destination, its entries (top first). */
export interface Tree {
  path: string;
  name: string;
  entries: TreeEntry[];
  bytes: number;
}

/** Reads each local path (files and directories, recursively); a missing one is a UsageError. */
export async function scanLocalSources(paths: readonly string[]): Promise<Tree[]> {
  const trees: Tree[] = [];
  for (const path of paths) {
    let top: Awaited<ReturnType<typeof stat>>;
    try {
      top = await stat(path);
    } catch (error) {
      throw new UsageError(
        `Local file ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
      );
    }
    const entries: TreeEntry[] = [];
    const walk = async (abs: string, rel: string, info: Awaited<ReturnType<typeof lstat>>) => {
      const mode = Number(info.mode) & 0o7777;
      if (info.isDirectory()) {
        entries.push({ rel, type: 'dir', size: 0, mode });
        for (const name of (await readdir(abs)).sort()) {
          const child = join(abs, name);
          await walk(child, rel === '' ? name : `${rel}/${name}`, await lstat(child));
        }
      } else if (info.isSymbolicLink()) {
        entries.push({ rel, type: 'symlink', size: 0, mode, link: await readlink(abs) });
      } else if (info.isFile()) {
        entries.push({ rel, type: 'file', size: Number(info.size), mode });
      }
      // Sockets, devices and FIFOs are not copied.
    };
    await walk(path, '', top);
    trees.push({ path, name: basename(path), entries, bytes: sum(entries) });
  }
  return trees;
}

/** Reads a node's tree at `path` (followed at the top, links kept below); undefined when it does not exist. */
export async function scanRemoteTree(sftp: SFTPWrapper, path: string): Promise<Tree | undefined> {
  const top = await sftpCall<Stats>((cb) => sftp.stat(path, cb)).catch((error: { code?: number }) => {
    if (error.code === 2) return undefined; // SSH_FX_NO_SUCH_FILE
    throw error;
  });
  if (!top) return undefined;
  const entries: TreeEntry[] = [];
  const walk = async (abs: string, rel: string, info: Stats) => {
    const mode = info.mode & 0o7777;
    if (info.isDirectory()) {
      entries.push({ rel, type: 'dir', size: 0, mode });
      const list = await sftpCall<{ filename: string; attrs: Stats }[]>((cb) => sftp.readdir(abs, cb));
      for (const item of list.sort((a, b) => a.filename.localeCompare(b.filename))) {
        if (item.filename === '.' || item.filename === '..') continue;
        await walk(
          posix.join(abs, item.filename),
          rel === '' ? item.filename : `${rel}/${item.filename}`,
          item.attrs,
        );
      }
    } else if (info.isSymbolicLink()) {
      entries.push({
        rel,
        type: 'symlink',
        size: 0,
        mode,
        link: await sftpCall<string>((cb) => sftp.readlink(abs, cb)),
      });
    } else if (info.isFile()) {
      entries.push({ rel, type: 'file', size: info.size, mode });
    }
  };
  await walk(path, '', top);
  const name = posix.basename(posix.normalize(path)) || 'root';
  return { path, name: name === '.' ? 'home' : name, entries, bytes: sum(entries) };
}

/** A remote path as SFTP wants it: `~/x` and `~` are relative to the login user's home. */
export function remotePath(path: string): string {
  if (path === '~' || path === '~/') return '.';
  return path.startsWith('~/') ? path.slice(2) : path;
}

/** Promisifies one SFTP call. */
export function sftpCall<T = void>(
  call: (cb: (err: Error | null | undefined, value: T) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) => call((err, value) => (err ? reject(err) : resolve(value))));
}

function sum(entries: readonly TreeEntry[]): number {
  return entries.reduce((n, e) => n + e.size, 0);
}
