/**
 * Files inside a node's root directory, read and written from the host (as root) without ever
 * following a symbolic link. A node's tree is the node's to change: a link in it (`etc/resolv.conf`
 * pointing at a host file, `~/.ssh` pointing at a host directory) must never make herd read or write
 * a file of the host. Every directory on the way is checked with lstat (and created when missing); a
 * file is read with O_NOFOLLOW, and written as a new file beside it (O_EXCL) that is renamed over the
 * old one, so a link in its place is replaced, not written through. Nodes are not running while herd
 * writes these files (before the first boot, or stopped), so the tree does not change meanwhile.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ProviderError } from '../../errors.js';

/** Owner and mode of a file or directory herd writes into a node. */
export interface Ownership {
  mode?: number;
  uid?: number;
  gid?: number;
}

function unsafe(root: string, rel: string, why: string): ProviderError {
  return new ProviderError(
    'LocalUnsafePath',
    `Will not write ${rel} in the node at ${root}: ${why}. herd never follows links in a node's files.`,
    {
      hint: 'Replace the link inside the node with a plain file or directory (or remove the node: herd stop, then start), and try again.',
    },
  );
}

/** The components of a relative path in the node; `..` is refused. */
function components(root: string, rel: string): string[] {
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw unsafe(root, rel, 'the path contains ".."');
  return parts;
}

/**
 * Makes sure directory `rel` exists under `root` with no symbolic link on the way (creating missing
 * directories with `mode`); returns its absolute path.
 */
export async function ensureDirInside(root: string, rel: string, mode = 0o755): Promise<string> {
  let path = root;
  let sofar = '';
  for (const part of components(root, rel)) {
    path = join(path, part);
    sofar = sofar ? `${sofar}/${part}` : part;
    const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (info === undefined) await mkdir(path, { mode });
    else if (info.isSymbolicLink()) throw unsafe(root, rel, `${sofar} is a symbolic link`);
    else if (!info.isDirectory()) throw unsafe(root, rel, `${sofar} is not a directory`);
  }
  return path;
}

/** Splits `rel` into its (checked) parent directory and file name. */
async function parentOf(root: string, rel: string): Promise<{ dir: string; name: string }> {
  const parts = components(root, rel);
  const name = parts.pop();
  if (name === undefined) throw unsafe(root, rel, 'the path names no file');
  return { dir: await ensureDirInside(root, parts.join('/')), name };
}

/**
 * The text of file `rel` of the node, or undefined when it does not exist or is not a plain file of
 * the node (a symbolic link is never read through).
 */
export async function readInside(root: string, rel: string): Promise<string | undefined> {
  const { dir, name } = await parentOf(root, rel);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') return undefined;
    throw error;
  }
  try {
    if (!(await handle.stat()).isFile()) return undefined;
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** Writes file `rel` of the node (replacing whatever is there, a link included) with `ownership`. */
export async function writeInside(
  root: string,
  rel: string,
  text: string,
  ownership: Ownership = {},
): Promise<void> {
  const { dir, name } = await parentOf(root, rel);
  const temp = join(dir, `.${name}.herd-${process.pid}`);
  await rm(temp, { force: true });
  const mode = ownership.mode ?? 0o644;
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await handle.writeFile(text);
    await handle.chmod(mode);
    if (ownership.uid !== undefined) await handle.chown(ownership.uid, ownership.gid ?? ownership.uid);
  } finally {
    await handle.close();
  }
  await rename(temp, join(dir, name));
}

/** Sets owner and mode of directory `rel` of the node (created when missing), through no link. */
export async function ownDirInside(root: string, rel: string, ownership: Required<Ownership>): Promise<void> {
  const path = await ensureDirInside(root, rel, ownership.mode);
  const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    await handle.chmod(ownership.mode);
    await handle.chown(ownership.uid, ownership.gid);
  } finally {
    await handle.close();
  }
}

/** Creates symbolic link `rel` -> `target` in the node, unless something is there already. */
export async function symlinkInside(root: string, rel: string, target: string): Promise<void> {
  const { dir, name } = await parentOf(root, rel);
  await symlink(target, join(dir, name)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
}
