/**
 * Which temp files a killed writer left count as abandoned: in a host-local directory (/run) those
 * whose writer PID is dead, at once; anywhere, those older than an hour; never a live writer's fresh one.
 */
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeAbandonedTemps } from '../../src/state/atomic-file.js';

const LIVE = 222;
const alive = (pid: number) => pid === LIVE;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-temps-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function files(names: Record<string, 'fresh' | 'old'>): Promise<void> {
  const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
  for (const [name, age] of Object.entries(names)) {
    await writeFile(join(dir, name), 'x');
    if (age === 'old') await utimes(join(dir, name), old, old);
  }
}

describe('removeAbandonedTemps', () => {
  it("in a host-local directory removes a dead writer's temps at once, never a live one's fresh temp", async () => {
    await files({
      'hb0.json': 'fresh',
      'hb0.lock': 'fresh',
      'hb0.json.tmp-111-0a1b2c3d': 'fresh',
      'hb0.lock.tmp-111-deadbeef': 'fresh',
      'hb0.lock.gone.tmp-111-00ff00ff': 'fresh',
      'hb0.json.tmp-222-0a1b2c3d': 'fresh',
      'hb0.lock.tmp-222-0a1b2c3d': 'old',
      'hb01.json.tmp-111-0a1b2c3d': 'fresh',
      'hb0.json.tmp': 'fresh',
    });
    const removed = await removeAbandonedTemps([join(dir, 'hb0.json'), join(dir, 'hb0.lock')], {
      hostLocal: true,
      alive,
    });
    expect(removed.sort()).toEqual(
      [
        'hb0.json.tmp-111-0a1b2c3d',
        'hb0.lock.tmp-111-deadbeef',
        'hb0.lock.gone.tmp-111-00ff00ff',
        // A live PID so old is a reused one: its writer was killed long ago.
        'hb0.lock.tmp-222-0a1b2c3d',
      ].sort(),
    );
    expect((await readdir(dir)).sort()).toEqual(
      [
        'hb0.json',
        'hb0.lock',
        'hb0.json.tmp-222-0a1b2c3d',
        'hb01.json.tmp-111-0a1b2c3d',
        'hb0.json.tmp',
      ].sort(),
    );
  });

  it("elsewhere (a storage directory another host may share) goes by age only, not by this host's PIDs", async () => {
    await files({ 'c1.json.tmp-111-0a1b2c3d': 'fresh', 'c1.lock.tmp-111-0a1b2c3d': 'old' });
    const removed = await removeAbandonedTemps([join(dir, 'c1.json'), join(dir, 'c1.lock')], { alive });
    expect(removed).toEqual(['c1.lock.tmp-111-0a1b2c3d']);
    expect(await readdir(dir)).toEqual(['c1.json.tmp-111-0a1b2c3d']);
  });
});
