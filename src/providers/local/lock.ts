/**
 * A host-wide lock file (created with O_EXCL, holding `PID starttime`). A lock left by a dead
 * process is taken over. Used for image builds and for a bridge's lease file, which several herd
 * processes (several storage directories) may touch at once.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortError, ProviderError } from '../../errors.js';
import { isProcessAlive, readStartTime } from './proc.js';

/** How to wait for a lock. */
export interface LockOptions {
  /** What the lock guards, for messages ("image debian-12"). */
  what: string;
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** Called once when the lock is busy, e.g. to say that another herd process is building. */
  onWait?: (holderPid: number) => void;
  signal?: AbortSignal;
}

/** Runs `fn` while holding the lock file at `path`. */
export async function withLock<T>(path: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  await acquire(path, options);
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}

async function acquire(path: string, options: LockOptions): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const me = `${process.pid} ${readStartTime(process.pid) ?? ''}\n`;
  let told = false;
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    if (options.signal?.aborted)
      throw new AbortError(`Interrupted while waiting for the lock on ${options.what}.`);
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(me);
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(path);
    if (holder && !isProcessAlive(holder.pid, holder.startTime || undefined)) {
      // Renaming first means only one waiter removes a given stale lock.
      await rename(path, `${path}.stale-${process.pid}`).then(
        () => rm(`${path}.stale-${process.pid}`, { force: true }),
        () => undefined,
      );
      continue;
    }
    if (holder && !told) {
      told = true;
      options.onWait?.(holder.pid);
    }
    if (Date.now() > deadline) {
      throw new ProviderError(
        'LocalLockTimeout',
        `Timed out waiting for the lock on ${options.what} (${path}).`,
        {
          hint: holder
            ? `herd process ${holder.pid} holds it; wait for it to finish or stop it, then retry.`
            : `Remove ${path} if no herd process is running.`,
        },
      );
    }
    await sleep(delay);
  }
}

async function readHolder(path: string): Promise<{ pid: number; startTime: string } | undefined> {
  try {
    const [pid, startTime = ''] = (await readFile(path, 'utf8')).trim().split(' ');
    const n = Number(pid);
    // A lock file caught between creation and its first write has no PID yet: treat it as held.
    return Number.isInteger(n) && n > 0 ? { pid: n, startTime } : undefined;
  } catch {
    return undefined;
  }
}
