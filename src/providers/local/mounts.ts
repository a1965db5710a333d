/** Overlay mounts of nodes, and finding what is mounted under a directory (from /proc/self/mountinfo). */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError } from '../../errors.js';
import { run, tryRun } from './exec.js';

/** Every mount point of this mount namespace, in mount order. */
export async function listMountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) =>
      line
        .split(' ')[4]!
        .replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))),
    );
}

/** Whether `path` is a mount point. */
export async function isMountPoint(path: string): Promise<boolean> {
  return (await listMountPoints()).includes(path);
}

/** Mounts an overlay of `lower` with this node's upper and work dirs at `target` (idempotent). */
export async function mountOverlay(dirs: {
  lower: string;
  upper: string;
  work: string;
  target: string;
}): Promise<void> {
  if (await isMountPoint(dirs.target)) return;
  for (const dir of [dirs.lower, dirs.upper, dirs.work]) {
    // overlayfs splits its options on "," and ":": such a path cannot be expressed.
    if (/[,:]/.test(dir)) {
      throw new ProviderError(
        'LocalBadPath',
        `Cannot mount an overlay over ${dir}: the path contains "," or ":".`,
        {
          hint: 'Use a storage directory (and HERD_IMAGE_CACHE) whose path has no "," or ":".',
        },
      );
    }
  }
  await run('mount', [
    '-t',
    'overlay',
    'overlay',
    '-o',
    `lowerdir=${dirs.lower},upperdir=${dirs.upper},workdir=${dirs.work}`,
    dirs.target,
  ]);
}

/** Unmounts `target` and everything under it, retrying while busy and detaching as a last resort. */
export async function unmountTree(target: string): Promise<void> {
  const prefix = target.endsWith('/') ? target : `${target}/`;
  const points = (await listMountPoints()).filter((p) => p === target || p.startsWith(prefix)).reverse();
  for (const point of points) {
    let done = false;
    for (let attempt = 0; attempt < 10 && !done; attempt++) {
      done = (await tryRun('umount', [point])) || !(await isMountPoint(point));
      if (!done) await sleep(200);
    }
    if (!done) await run('umount', ['--lazy', point]);
  }
}
