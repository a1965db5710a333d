/**
 * Per-cluster lock files. A lock is `<storage>/<name>.lock` holding the owner's PID, its start time
 * (from /proc/PID/stat, to tell a reused PID from the owner) and host name. It is created by
 * hard-linking a fully written temp file: like O_EXCL the link fails with EEXIST when the lock
 * exists, and unlike O_EXCL nobody ever sees a lock file without its content.
 *
 * A lock whose owner is dead is taken over. Two processes may find the same stale lock at once;
 * each first creates a guard file named after the stale lock's inode and PID (again by link, so
 * exactly one gets it), then checks that the lock is still that same file before replacing it.
 * The loser sees the guard's live owner, or the winner's new lock, and fails like any second
 * writer.
 */
import { readFileSync, statSync, unlinkSync } from 'node:fs';
import { link, open, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { StateError, StateLockError } from '../errors.js';
import { type AbandonedTempOptions, removeAbandonedTemps, tempPathFor } from './atomic-file.js';
import { errnoCode, ioStateError } from './problems.js';

/** A held cluster lock. */
export interface ClusterLock {
  /** Removes the lock file (once; later calls do nothing). Also done on process exit. */
  release(): Promise<void>;
}

/** What a lock file says about its owner. */
interface LockOwner {
  pid: number;
  /** Start time of the process in clock ticks since boot (/proc/PID/stat field 22), when known. */
  startTime?: string;
  host: string;
  createdAt: string;
}

/** A lock or guard file as read: its parsed owner, raw text and inode. */
interface LockFile {
  owner: LockOwner;
  raw: string;
  ino: number;
}

/** Lock files this process holds, removed by the exit handler if not released before. */
const held = new Map<string, number>();
let exitHandlerInstalled = false;

/** Attempts before giving up when locks keep appearing and vanishing under us. */
const MAX_ATTEMPTS = 50;

/** Pause while another process takes over a stale lock (it holds the guard for microseconds). */
const TAKEOVER_WAIT_MS = 10;

/**
 * Takes the lock at `lockPath` for `cluster`. Fails at once with StateLockError naming the holder's
 * PID when a live process holds it; takes over a lock left by a dead process. Once held, the
 * abandoned temp files of the lock and of `guarded` (files beside it that the lock protects) are
 * removed, in one pass over the directory (`temps`: see removeAbandonedTemps).
 */
export async function acquireLock(
  lockPath: string,
  cluster: string,
  guarded: readonly string[] = [],
  temps: Pick<AbandonedTempOptions, 'hostLocal'> = {},
): Promise<ClusterLock> {
  const holdLinked = async (mine: string): Promise<ClusterLock> => {
    const lock = hold(lockPath, (await stat(mine)).ino);
    // Holding the lock, nobody else writes these files: clear what killed writers and acquirers left.
    await removeAbandonedTemps([lockPath, ...guarded], temps);
    return lock;
  };
  const mine = tempPathFor(lockPath);
  await writeOwnerFile(mine);
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (await tryLink(mine, lockPath)) return await holdLinked(mine);
      const holder = await readLockFile(lockPath);
      if (holder === undefined) continue;
      if (await isAlive(holder.owner)) throw lockedError(cluster, lockPath, holder.owner);
      if (await takeOver(lockPath, holder, mine, cluster, attempt === MAX_ATTEMPTS - 1))
        return await holdLinked(mine);
    }
    throw new StateError(
      'StateLockContended',
      `Could not take the lock ${lockPath}: it keeps changing hands.`,
      {
        hint: 'Several herd commands are competing for this cluster; run one at a time.',
      },
    );
  } finally {
    await rm(mine, { force: true });
  }
}

/** Replaces the stale lock `holder` with `mine`; true when this process now holds the lock. */
async function takeOver(
  lockPath: string,
  holder: LockFile,
  mine: string,
  cluster: string,
  lastAttempt: boolean,
): Promise<boolean> {
  const guard = `${lockPath}.takeover-${holder.ino}-${holder.owner.pid}`;
  if (!(await tryLink(mine, guard))) {
    const taker = await readLockFile(guard);
    if (taker === undefined) return false;
    if (await isAlive(taker.owner)) {
      // Another process is replacing this stale lock; it needs a few syscalls. Wait, then name
      // whoever ended up with the lock (that taker may still lose to an earlier one).
      if (lastAttempt) throw lockedError(cluster, lockPath, taker.owner);
      await delay(TAKEOVER_WAIT_MS);
      return false;
    }
    // A taker died halfway; its guard is as stale as the lock.
    await removeIfSame(guard, taker);
    return false;
  }
  try {
    // Only a guard holder removes a stale lock, and we hold the guard for this one: if the lock
    // is still the same file, nobody else can replace it before we do.
    const current = await readLockFile(lockPath);
    if (current === undefined || current.ino !== holder.ino || current.raw !== holder.raw) return false;
    if (!(await removeIfSame(lockPath, holder))) return false;
    return await tryLink(mine, lockPath);
  } finally {
    await rm(guard, { force: true });
  }
}

/**
 * Removes `path` if it still is `expected` (same inode and content). Moves it aside first so that
 * a file that changed in between is put back instead of deleted.
 */
async function removeIfSame(path: string, expected: LockFile): Promise<boolean> {
  const aside = tempPathFor(`${path}.gone`);
  try {
    await rename(path, aside);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw ioStateError('move aside', path, error);
  }
  const moved = await readLockFile(aside);
  if (moved !== undefined && moved.ino === expected.ino && moved.raw === expected.raw) {
    await rm(aside, { force: true });
    return true;
  }
  await tryLink(aside, path);
  await rm(aside, { force: true });
  return false;
}

function hold(lockPath: string, ino: number): ClusterLock {
  held.set(lockPath, ino);
  if (!exitHandlerInstalled) {
    exitHandlerInstalled = true;
    process.on('exit', releaseAllSync);
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      held.delete(lockPath);
      try {
        if ((await stat(lockPath)).ino === ino) await rm(lockPath, { force: true });
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw ioStateError('remove the lock', lockPath, error);
      }
    },
  };
}

function releaseAllSync(): void {
  for (const [lockPath, ino] of held) {
    try {
      if (statSync(lockPath).ino === ino) unlinkSync(lockPath);
    } catch {
      // Exiting anyway; a lock left behind is stale and will be taken over.
    }
  }
  held.clear();
}

async function writeOwnerFile(path: string): Promise<void> {
  const owner: LockOwner = {
    pid: process.pid,
    ...optional('startTime', processStartTime(process.pid)),
    host: hostname(),
    createdAt: new Date().toISOString(),
  };
  try {
    const file = await open(path, 'wx', 0o600);
    try {
      await file.writeFile(`${JSON.stringify(owner)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
  } catch (error) {
    throw ioStateError('create the lock file', path, error);
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Links `from` to `to`; false when `to` exists. */
async function tryLink(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw ioStateError('create', to, error);
  }
}

/** Reads a lock or guard file; undefined when it vanished in the meantime. */
async function readLockFile(path: string): Promise<LockFile | undefined> {
  let raw: string;
  let ino: number;
  try {
    const file = await open(path, 'r');
    try {
      ino = (await file.stat()).ino;
      raw = await file.readFile('utf8');
    } finally {
      await file.close();
    }
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw ioStateError('read the lock file', path, error);
  }
  const owner = parseOwner(raw);
  if (owner === undefined) {
    throw new StateError(
      'StateLockUnreadable',
      `Lock file ${path} does not name its owner: ${JSON.stringify(raw.slice(0, 80))}.`,
      {
        hint: `If no herd command is working on this cluster, delete ${path} and run the command again.`,
      },
    );
  }
  return { owner, raw, ino };
}

function parseOwner(raw: string): LockOwner | undefined {
  // A host-wide lock written by an older herd: "PID STARTTIME".
  const legacy = /^(\d+)(?: (\d*))?\s*$/.exec(raw);
  if (legacy) {
    return {
      pid: Number(legacy[1]),
      ...optional('startTime', legacy[2] || undefined),
      host: hostname(),
      createdAt: '',
    };
  }
  try {
    const value = JSON.parse(raw) as Partial<LockOwner>;
    if (Number.isInteger(value.pid) && (value.pid as number) > 0 && typeof value.host === 'string') {
      return value as LockOwner;
    }
  } catch {
    // Falls through to undefined.
  }
  return undefined;
}

/** Whether the lock's owner still runs. A lock from another host counts as alive: we cannot tell. */
async function isAlive(owner: LockOwner): Promise<boolean> {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if (errnoCode(error) === 'ESRCH') return false;
  }
  const stat = readProcStat(owner.pid);
  if (stat === undefined) return true;
  // An unreaped zombie still answers kill(0) but will never release anything.
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return owner.startTime === undefined || owner.startTime === stat.startTime;
}

function lockedError(cluster: string, lockPath: string, owner: LockOwner): StateLockError {
  if (owner.host === hostname()) return new StateLockError(cluster, owner.pid);
  return new StateLockError(cluster, owner.pid, {
    hint: `The lock ${lockPath} was taken on host "${owner.host}" (PID ${owner.pid} there). If no herd runs there any more, delete ${lockPath}.`,
  });
}

/** Start time of `pid` (clock ticks since boot), or undefined without /proc. */
export function processStartTime(pid: number): string | undefined {
  return readProcStat(pid)?.startTime;
}

function readProcStat(pid: number): { state: string; startTime: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  return state === undefined || startTime === undefined ? undefined : { state, startTime };
}
