/**
 * A host-wide lock file, for image builds and a bridge's lease file, which several herd processes
 * (several storage directories) may touch at once. It is the cluster lock of the state repository
 * (src/state/lock.ts: created by link, owner PID and start time inside, a dead owner's lock taken
 * over under a guard that re-checks it is still the same file, so two waiters never both win),
 * with waiting: a lock held by a live process is waited for, up to a timeout.
 *
 * Callers within one herd process take turns first, in the order they came, and only the caller
 * whose turn it is polls the file: a start of 100 nodes leases 100 addresses at once, and none of
 * that queue counts against the timeout, which is about waiting for other herd processes.
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
  /**
   * Files beside the lock that it guards, written with writeFileAtomic: once the lock is held, the
   * temp files that killed writers left of them (and of the lock) are removed.
   */
  guarded?: readonly string[];
  /** The lock's directory is this host's own (/run): a temp whose writer is dead goes at once. */
  hostLocal?: boolean;
}

/** Runs `fn` while holding the lock file at `path`, after this process's earlier callers for it. */
export async function withLock<T>(path: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const leave = await takeTurn(path, options);
  try {
    const lock = await acquire(path, options);
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  } finally {
    leave();
  }
}

/** Per lock path, a promise that settles when the last caller of this process to queue has left. */
const queues = new Map<string, Promise<void>>();

/**
 * Waits until every earlier caller of this process for `path` has left; returns how to leave. A
 * caller aborted while it waits leaves at once: the next one then waits for the caller before it.
 */
async function takeTurn(path: string, options: LockOptions): Promise<() => void> {
  const before = queues.get(path) ?? Promise.resolve();
  let leave!: () => void;
  const left = new Promise<void>((resolve) => {
    leave = resolve;
  });
  const tail = before.then(() => left);
  queues.set(path, tail);
  void tail.then(() => {
    if (queues.get(path) === tail) queues.delete(path);
  });
  try {
    await untilAborted(before, options);
  } catch (error) {
    leave();
    throw error;
  }
  return leave;
}

/** `promise`, or an AbortError as soon as the options' signal aborts. */
async function untilAborted(promise: Promise<void>, options: LockOptions): Promise<void> {
  const { signal } = options;
  if (!signal) return promise;
  if (signal.aborted) throw interrupted(options);
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(interrupted(options));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function interrupted(options: LockOptions): AbortError {
  return new AbortError(`Interrupted while waiting for the lock on ${options.what}.`);
}

async function acquire(path: string, options: LockOptions): Promise<ClusterLock> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let holder: number | undefined;
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    if (options.signal?.aborted) throw interrupted(options);
    try {
      return await acquireLock(path, options.what, options.guarded, {
        hostLocal: options.hostLocal ?? false,
      });
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
    await sleep(delay, undefined, { signal: options.signal }).catch(() => {
      throw interrupted(options);
    });
  }
}
