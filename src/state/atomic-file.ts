/** Crash-safe file replacement: readers see the old content or the new, never a torn file. */
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isProcessAlive } from '../util/proc.js';

/** Runs after the temp file is written and synced, before it is renamed over the target (a test seam). */
export type BeforeRename = (tempPath: string) => void | Promise<void>;

/** A unique sibling name for a temp file: `<path>.tmp-<pid>-<random>`. */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * How old a temp file must be before it counts as abandoned. Writing one takes milliseconds, so an
 * hour-old temp belongs to a process that was killed halfway (SIGKILL, power loss), whatever its PID
 * says now: the PID may have been reused, or belong to another host sharing the storage directory.
 */
export const ABANDONED_TEMP_AGE_MS = 60 * 60 * 1000;

/** How removeAbandonedTemps tells an abandoned temp file. */
export interface AbandonedTempOptions {
  /**
   * The directory is this host's own (under /run, cleared at boot, never shared): a temp whose writer
   * (the PID in its name) no longer runs is abandoned at once, whatever its age. Elsewhere (a storage
   * directory may be shared with another host, whose PIDs mean nothing here) only the age counts.
   */
  hostLocal?: boolean;
  /** The current time (a test seam). */
  now?: number;
  /** Whether a PID of this host runs (a test seam). */
  alive?: (pid: number) => boolean;
}

/**
 * Removes the abandoned temp files of `paths` (see `tempPathFor`, also those of `<path>.gone`): the
 * ones a killed process left beside them, older than ABANDONED_TEMP_AGE_MS or, in a host-local
 * directory, whose writer is dead. The paths share one directory, which is read once. Returns the
 * names removed. Best effort: a file that vanishes or cannot be removed is skipped.
 */
export async function removeAbandonedTemps(
  paths: string | readonly string[],
  options: AbandonedTempOptions = {},
): Promise<string[]> {
  const { hostLocal = false, now = Date.now(), alive = isProcessAlive } = options;
  const all = typeof paths === 'string' ? [paths] : paths;
  if (all.length === 0) return [];
  const dir = dirname(all[0]!);
  if (all.some((p) => dirname(p) !== dir))
    throw new Error(`removeAbandonedTemps: ${all.join(', ')} are not in one directory`);
  const bases = all.map((p) => escapeRegExp(basename(p))).join('|');
  const temp = new RegExp(`^(?:${bases})(?:\\.gone)?\\.tmp-(\\d+)-[0-9a-f]+$`);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const writer = temp.exec(name)?.[1];
    if (writer === undefined) continue;
    try {
      const file = join(dir, name);
      const deadWriter = hostLocal && !alive(Number(writer));
      if (!deadWriter && now - (await stat(file)).mtimeMs < ABANDONED_TEMP_AGE_MS) continue;
      await rm(file, { force: true });
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove: harmless either way.
    }
  }
  return removed;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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
