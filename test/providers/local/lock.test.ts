import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withLock } from '../../../src/providers/local/lock.js';

describe('withLock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herd-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs holders one at a time', async () => {
    const path = join(dir, 'x.lock');
    const events: string[] = [];
    const holder = (name: string) =>
      withLock(path, { what: 'test' }, async () => {
        events.push(`${name}+`);
        await sleep(50);
        events.push(`${name}-`);
      });
    await Promise.all([holder('a'), holder('b'), holder('c')]);
    for (let i = 0; i < events.length; i += 2)
      expect(events[i]!.slice(0, 1)).toBe(events[i + 1]!.slice(0, 1));
  });

  it('takes over a lock left by a dead process', async () => {
    const path = join(dir, 'x.lock');
    const child = spawn('true');
    await new Promise((resolve) => child.once('exit', resolve));
    await writeFile(path, `${child.pid} 1\n`);
    const owner = await withLock(path, { what: 'test', timeoutMs: 2_000 }, async () =>
      readFile(path, 'utf8'),
    );
    expect(JSON.parse(owner)).toMatchObject({ pid: process.pid });
  });

  it('times out naming the live holder', async () => {
    const path = join(dir, 'x.lock');
    await writeFile(path, `${process.pid}\n`);
    await expect(withLock(path, { what: 'image debian-12', timeoutMs: 200 }, async () => 1)).rejects.toThrow(
      /Timed out waiting for the lock on image debian-12/,
    );
  });

  it('lets callers of this process take turns in order; a failing holder does not block the others', async () => {
    const path = join(dir, 'x.lock');
    const events: string[] = [];
    const holder = (name: string, fail = false) =>
      withLock(path, { what: 'test' }, async () => {
        events.push(`${name}+`);
        await sleep(5);
        events.push(`${name}-`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([holder('a'), holder('b', true), holder('c'), holder('d')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(events).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-', 'd+', 'd-']);
  });

  it("does not count the wait for this process's earlier callers against the timeout", async () => {
    const path = join(dir, 'x.lock');
    const first = deferred();
    const entered = deferred();
    const one = withLock(path, { what: 'test', timeoutMs: 10 }, async () => {
      entered.resolve();
      await first.promise;
    });
    await entered.promise;
    const two = withLock(path, { what: 'test', timeoutMs: 10 }, async () => 'two');
    // Long past two's timeout: it waits in the queue, not for the file.
    await sleep(100);
    first.resolve();
    await one;
    expect(await two).toBe('two');
  });

  it('rejects a caller aborted while queued at once and keeps the order of the others', async () => {
    const path = join(dir, 'x.lock');
    const events: string[] = [];
    const release = deferred();
    const entered = deferred();
    const first = withLock(path, { what: 'bridge hb0' }, async () => {
      events.push('first+');
      entered.resolve();
      await release.promise;
      events.push('first-');
    });
    await entered.promise;
    const controller = new AbortController();
    const aborted = withLock(path, { what: 'bridge hb0', signal: controller.signal }, async () => {
      events.push('aborted+');
    }).catch((e: unknown) => e);
    // In the queue behind the first (not polling the file), so its short timeout never runs out.
    const third = withLock(path, { what: 'bridge hb0', timeoutMs: 10 }, async () => {
      events.push('third+');
    });
    controller.abort();
    const error = await beforeAnyTimer(aborted);
    expect(error).toMatchObject({
      code: 'Interrupted',
      message: 'Interrupted while waiting for the lock on bridge hb0.',
    });
    // Rejected while the first still holds the lock, and the third still waits for it.
    expect(events).toEqual(['first+']);
    await sleep(100);
    release.resolve();
    await Promise.all([first, third]);
    expect(events).toEqual(['first+', 'first-', 'third+']);
    // The queue is still usable, and empty again.
    expect(await withLock(path, { what: 'bridge hb0' }, async () => 'later')).toBe('later');
  });

  it('rejects at once when aborted while another process holds the file', async () => {
    const path = join(dir, 'x.lock');
    await writeFile(path, `${process.pid}\n`);
    const controller = new AbortController();
    const busy = deferred();
    const waiting = withLock(
      path,
      { what: 'image debian-12', timeoutMs: 10 * 60_000, signal: controller.signal, onWait: busy.resolve },
      async () => 1,
    ).catch((e: unknown) => e);
    await busy.promise;
    controller.abort();
    expect(await beforeAnyTimer(waiting)).toMatchObject({
      code: 'Interrupted',
      message: 'Interrupted while waiting for the lock on image debian-12.',
    });
  });
});

/** What `promise` settles to before any timer or I/O callback runs; 'still waiting' otherwise. */
function beforeAnyTimer<T>(promise: Promise<T>): Promise<T | 'still waiting'> {
  return Promise.race([promise, new Promise<'still waiting'>((r) => setImmediate(() => r('still waiting')))]);
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
