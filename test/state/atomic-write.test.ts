import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateRepository } from '../../src/state/index.js';
import { StateChild } from './fixtures/child.js';
import { sampleState, storedSample } from './fixtures/sample.js';

let dir: string;
const children: StateChild[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-state-'));
});
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.kill()));
  await rm(dir, { recursive: true, force: true });
});

describe('atomic save', () => {
  it('keeps the old state when the writer is killed between write and rename', async () => {
    const repo = await StateRepository.open(dir);
    await repo.save(sampleState(dir, 'c1', 1));
    const before = await readFile(join(dir, 'c1.json'), 'utf8');

    const next = join(dir, 'next-state.input');
    await writeFile(next, JSON.stringify(sampleState(dir, 'c1', 3)));
    const child = await StateChild.start(dir);
    children.push(child);
    const { tempPath } = (await child.ask(`save-hang ${next}`)) as { tempPath: string };

    // The new record is complete and synced in the temp file when the process dies.
    expect(tempPath).toMatch(new RegExp(`^${dir}/c1\\.json\\.tmp-${child.pid}-[0-9a-f]{8}$`));
    expect(JSON.parse(await readFile(tempPath, 'utf8')).nodes).toHaveLength(3);
    await child.kill();

    expect(await readFile(join(dir, 'c1.json'), 'utf8')).toBe(before);
    expect((await repo.load('c1')).nodes).toHaveLength(1);
    // The left-over temp file is not mistaken for a cluster or an error.
    expect(await repo.list()).toMatchObject({ clusters: [{ name: 'c1' }], errors: [] });
    // And the next save goes through.
    await repo.save(sampleState(dir, 'c1', 2));
    expect((await repo.load('c1')).nodes).toHaveLength(2);
  });

  it('keeps the old state and removes its temp file when the rename fails', async () => {
    let seen = '';
    const repo = await StateRepository.open(dir, {
      beforeRename: (tempPath) => {
        seen = tempPath;
        throw new Error('disk on fire');
      },
    });
    await writeFile(join(dir, 'c1.json'), JSON.stringify(storedSample(dir, 'c1', 1)));
    const before = await readFile(join(dir, 'c1.json'), 'utf8');
    await expect(repo.save(sampleState(dir, 'c1', 4))).rejects.toMatchObject({
      code: 'StateIoFailed',
      message: expect.stringContaining('disk on fire'),
    });
    expect(seen).toContain('c1.json.tmp-');
    expect(await readFile(join(dir, 'c1.json'), 'utf8')).toBe(before);
    expect(await readdir(dir)).toEqual(['c1.json']);
  });
});
