/**
 * Taking over a stale host-wide lock must never remove a lock that another waiter took in the
 * meantime. The interleaving is forced: the first file operation of a takeover (the old code's
 * rename of the lock, the guard link of the new one) is preceded by another waiter winning the
 * stale lock, which the takeover must then leave alone.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type * as fs from 'node:fs/promises';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** Runs once, right before the first takeover step touches the lock at `hookPath`. */
let hook: (() => void) | undefined;
let hookPath = '';

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  const maybeHook = (from: string, to: string) => {
    const takeover = from === hookPath && to !== hookPath ? true : to.startsWith(`${hookPath}.takeover`);
    if (hook && takeover) {
      const run = hook;
      hook = undefined;
      run();
    }
  };
  return {
    ...real,
    rename: async (from: string, to: string) => {
      maybeHook(String(from), String(to));
      return real.rename(from, to);
    },
    link: async (from: string, to: string) => {
      maybeHook(String(from), String(to));
      return real.link(from, to);
    },
  };
});

const { withLock } = await import('../../../src/providers/local/lock.js');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-lock-race-'));
});
afterEach(async () => {
  hook = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** The start time of this process, as a lock written by it holds it. */
function myStartTime(): string {
  const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

describe('taking over a stale host-wide lock', () => {
  it('leaves alone a lock another waiter took between the staleness check and the takeover', async () => {
    const path = join(dir, 'bridge.lock');
    hookPath = path;
    const dead = spawnSync('true').pid!;
    await writeFile(path, `${dead} 1\n`);
    // The other waiter: it found the same stale lock first and now holds a fresh one (a new file).
    const winner = `${process.pid} ${myStartTime()}\n`;
    hook = () => {
      writeFileSync(`${path}.winner`, winner);
      renameSync(`${path}.winner`, path);
    };
    let entered = false;
    const attempt = await withLock(path, { what: 'bridge test', timeoutMs: 300 }, async () => {
      entered = true;
    }).catch((e: unknown) => e);
    expect(hook).toBeUndefined();
    expect(entered).toBe(false);
    expect(attempt).toMatchObject({ code: 'LocalLockTimeout' });
    // The winner's lock is still there, untouched.
    expect(await readFile(path, 'utf8')).toBe(winner);
  });

  it('still takes over a stale lock nobody else took', async () => {
    const path = join(dir, 'image.lock');
    hookPath = join(dir, 'unrelated');
    await writeFile(path, `${spawnSync('true').pid!} 1\n`);
    let entered = false;
    await withLock(path, { what: 'image test', timeoutMs: 2_000 }, async () => {
      entered = true;
    });
    expect(entered).toBe(true);
  });
});
