/**
 * A host-wide lock file, for image builds and a bridge's lease file, which several herd processes
 * (several storage directories) may touch at once. It is the cluster lock of the state repository
 * (src/state/lock.ts: created by link, owner PID and start time inside, a dead owner's lock taken
 * over under a guard that re-checks it is still the same file, so two waiters never both win),
 * with waiting: a lock held by a live process is waited for, up to a timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortError, ProviderError, StateLockError } from '../../errors.js';
import { acquireLock, type ClusterLock } from '../../state/lock.js';

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
  const lock = await acquire(path, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

async function acquire(path: string, options: LockOptions): Promise<ClusterLock> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let holder: number | undefined;
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    if (options.signal?.aborted) {
      throw new AbortError(`Interrupted while waiting for the lock on ${options.what}.`);
    }
    try {
      return await acquireLock(path, options.what);
    } catch (error) {
      if (!(error instanceof StateLockError)) throw error;
      if (holder === undefined) options.onWait?.(error.holderPid);
      holder = error.holderPid;
    }
    if (Date.now() > deadline) {
      throw new ProviderError(
        'LocalLockTimeout',
        `Timed out waiting for the lock on ${options.what} (${path}).`,
        {
          hint: `herd process ${holder} holds it; wait for it to finish or stop it, then retry.`,
        },
      );
    }
    await sleep(delay);
  }
}
