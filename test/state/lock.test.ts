import { spawnSync } from 'node:child_process';
import { link, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateLockError } from '../../src/errors.js';
import { StateRepository } from '../../src/state/index.js';
import { processStartTime } from '../../src/state/lock.js';
import { StateChild } from './fixtures/child.js';

let dir: string;
const children: StateChild[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-state-'));
});
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.kill()));
  await rm(dir, { recursive: true, force: true });
});

async function startChild(): Promise<StateChild> {
  const child = await StateChild.start(dir);
  children.push(child);
  return child;
}

/** The PID of a process that has exited and been reaped. */
function deadPid(): number {
  const result = spawnSync('true');
  return result.pid!;
}

async function writeLock(name: string, owner: Record<string, unknown>): Promise<void> {
  await writeFile(join(dir, `${name}.lock`), JSON.stringify({ host: hostname(), createdAt: 'x', ...owner }));
}

describe('cluster lock', () => {
  it('lets one holder in per cluster and names the holder to the second', async () => {
    const repo = await StateRepository.open(dir);
    const lock = await repo.lock('c1');
    const other = await repo.lock('c2');
    const error = await repo.lock('c1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateLockError);
    expect((error as StateLockError).holderPid).toBe(process.pid);
    expect((error as StateLockError).message).toContain(`PID ${process.pid}`);
    await lock.release();
    await lock.release();
    await other.release();
    const again = await repo.lock('c1');
    await again.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('makes a second writer process fail at once with the first one PID', async () => {
    const [a, b] = await Promise.all([startChild(), startChild()]);
    expect(await a.ask('lock c1')).toEqual({ locked: true, pid: a.pid });
    // A still holds the lock while B asks: B answering at all proves it did not wait for A.
    const answer = await b.ask('lock c1');
    expect(answer).toMatchObject({ locked: false, code: 'StateLocked', holderPid: a.pid });
    expect(answer['message']).toContain(`PID ${a.pid}`);

    expect(await a.ask('release c1')).toEqual({ released: true });
    expect(await b.ask('lock c1')).toEqual({ locked: true, pid: b.pid });
  });

  it('is released when the holder exits without releasing', async () => {
    const a = await startChild();
    await a.ask('lock c1');
    a.send('exit');
    expect(await a.exited()).toBe(0);
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over the lock of a killed process', async () => {
    const a = await startChild();
    await a.ask('lock c1');
    await a.kill();
    expect(await readdir(dir)).toEqual(['c1.lock']);
    const repo = await StateRepository.open(dir);
    const lock = await repo.lock('c1');
    await expect(repo.lock('c1')).rejects.toMatchObject({ holderPid: process.pid });
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over a lock whose PID now belongs to another process (start time differs)', async () => {
    await writeLock('c1', { pid: process.pid, startTime: '1' });
    const repo = await StateRepository.open(dir);
    const lock = await repo.lock('c1');
    await lock.release();
  });

  it('respects a live owner with the matching start time', async () => {
    const a = await startChild();
    await writeLock('c1', { pid: a.pid, startTime: processStartTime(a.pid) });
    const repo = await StateRepository.open(dir);
    await expect(repo.lock('c1')).rejects.toMatchObject({ code: 'StateLocked', holderPid: a.pid });
  });

  it('never takes over a lock from another host', async () => {
    await writeFile(join(dir, 'c1.lock'), JSON.stringify({ pid: deadPid(), host: 'elsewhere.example' }));
    const repo = await StateRepository.open(dir);
    const error = (await repo.lock('c1').catch((e: unknown) => e)) as StateLockError;
    expect(error).toBeInstanceOf(StateLockError);
    expect(error.hint).toContain('taken on host "elsewhere.example"');
  });

  it('reports a lock file without an owner instead of guessing', async () => {
    await writeFile(join(dir, 'c1.lock'), 'garbage');
    const repo = await StateRepository.open(dir);
    await expect(repo.lock('c1')).rejects.toMatchObject({
      code: 'StateLockUnreadable',
      hint: expect.stringContaining(join(dir, 'c1.lock')),
    });
  });

  it('clears the guard of a taker that died halfway', async () => {
    await writeLock('c1', { pid: deadPid() });
    const { ino } = await stat(join(dir, 'c1.lock'));
    const stale = JSON.parse(await readFile(join(dir, 'c1.lock'), 'utf8'));
    await writeFile(join(dir, 'guard-src'), JSON.stringify({ pid: deadPid(), host: hostname() }));
    await link(join(dir, 'guard-src'), join(dir, `c1.lock.takeover-${ino}-${stale.pid}`));
    await rm(join(dir, 'guard-src'));
    const repo = await StateRepository.open(dir);
    const lock = await repo.lock('c1');
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('lets exactly one of several processes take over one stale lock', { timeout: 120_000 }, async () => {
    const takers = await Promise.all([startChild(), startChild(), startChild()]);
    const rounds = 15;
    for (let round = 0; round < rounds; round++) {
      const name = `c${round}`;
      await writeLock(name, { pid: deadPid() });
      const answers = await Promise.all(takers.map((t) => t.ask(`lock ${name}`)));
      const winners = answers.filter((a) => a['locked'] === true);
      expect(winners, JSON.stringify(answers)).toHaveLength(1);
      const winnerPid = winners[0]!['pid'];
      for (const loser of answers.filter((a) => a['locked'] !== true)) {
        expect(loser).toMatchObject({ code: 'StateLocked', holderPid: winnerPid });
      }
      const winner = takers.find((t) => t.pid === winnerPid)!;
      await winner.ask(`release ${name}`);
    }
    // No guard, temp or lock file is left behind.
    expect(await readdir(dir)).toEqual([]);
  });
});
