/** Crash-safe file replacement: readers see the old content or the new, never a torn file. */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Runs after the temp file is written and synced, before it is renamed over the target (a test seam). */
export type BeforeRename = (tempPath: string) => void | Promise<void>;

/** A unique sibling name for a temp file: `<path>.tmp-<pid>-<random>`. */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Replaces `path` with `data`: writes a temp file beside it (created exclusively, so nobody else's
 * temp file is reused), fsyncs it, renames it over `path` and fsyncs the directory so the rename
 * itself survives a power loss. A failure before the rename removes the temp file and leaves the
 * old content in place.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode: number,
  beforeRename?: BeforeRename,
): Promise<void> {
  const temp = tempPathFor(path);
  try {
    const file = await open(temp, 'wx', mode);
    try {
      // open's mode is filtered by the umask; chmod makes it exact.
      await file.chmod(mode);
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await beforeRename?.(temp);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** fsyncs a directory, making renames, links and unlinks in it durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
