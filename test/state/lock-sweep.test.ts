/**
 * Taking a cluster's lock clears the temp files killed writers left (of the lock and of the state file)
 * in one pass: the storage directory, which holds every cluster's files, is read once per lock.
 */
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { StateRepository } from '../../src/state/index.js';
import { sampleState } from './fixtures/sample.js';

const readdirCalls = vi.hoisted(() => [] as string[]);
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const readdir = ((path: string, ...rest: unknown[]) => {
    readdirCalls.push(String(path));
    return (fs.readdir as (...args: unknown[]) => unknown)(path, ...rest);
  }) as typeof fs.readdir;
  return { ...fs, default: { ...fs, readdir }, readdir };
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-lock-sweep-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it('reads the storage directory once when it takes a lock, and removes the temps of both files', async () => {
  const repo = await StateRepository.open(dir);
  await repo.save(sampleState(dir, 'c1'));
  const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
  for (const name of ['c1.json.tmp-4242-0a1b2c3d', 'c1.lock.tmp-4242-deadbeef']) {
    await writeFile(join(dir, name), 'x');
    await utimes(join(dir, name), old, old);
  }
  readdirCalls.length = 0;
  const lock = await repo.lock('c1');
  try {
    expect(readdirCalls).toEqual([dir]);
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(dir)).sort()).toEqual(['c1.json', 'c1.lock']);
  } finally {
    await lock.release();
  }
});
