/**
 * Atomic writes of files only the user may read (known_hosts, inventory). A crash mid-write
 * must never leave a truncated known_hosts behind: StrictHostKeyChecking would then refuse a
 * node whose key is fine, or worse, an empty file would make every later connection fail.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes `text` to `path` via a temp file in the same directory, fsync, then rename; mode 0600. */
export async function writePrivateFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
