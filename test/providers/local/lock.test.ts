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
});
