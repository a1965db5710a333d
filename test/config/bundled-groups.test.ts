/** The reader of playbooks/groups.json, and the file herd ships. */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { bundledGroups } from '../../src/config/bundled-groups.js';
import { tempDir } from './helpers.js';

const PLAYBOOKS = resolve(import.meta.dirname, '..', '..', 'playbooks');

async function readFrom(json: string) {
  const dir = await tempDir();
  await writeFile(join(dir, 'groups.json'), json);
  return bundledGroups(dir);
}

describe('bundledGroups', () => {
  test('reads groups with descriptions and aliases, ignoring fields it does not know', async () => {
    const read = await readFrom(
      JSON.stringify({
        version: 2,
        groups: { slurm_master: 'controller', jupyterhub: { description: 'notebooks', playbook: 'x.yml' } },
        aliases: { slurm_client: 'slurm_submit', broken: 7 },
        recipes: ['ignored'],
      }),
    );
    expect(read).toEqual({
      groups: new Map([
        ['slurm_master', 'controller'],
        ['jupyterhub', 'notebooks'],
      ]),
      aliases: new Map([['slurm_client', 'slurm_submit']]),
    });
  });

  test('also takes a plain list of group names', async () => {
    const read = await readFrom('{"groups": ["slurm_master", "slurm_worker"]}');
    expect([...read!.groups.keys()]).toEqual(['slurm_master', 'slurm_worker']);
    expect(read!.aliases.size).toBe(0);
  });

  test('a directory without groups.json checks nothing; a broken file is an error', async () => {
    expect(await bundledGroups(await tempDir())).toBeUndefined();
    await expect(readFrom('{"groups": {')).rejects.toThrow(SyntaxError);
    await expect(readFrom('{"groups": {}}')).rejects.toThrow(/"groups" lists no group/);
  });
});

describe("herd's playbooks/groups.json", () => {
  test('lists groups and aliases the bundled playbooks use', async () => {
    const read = (await bundledGroups(PLAYBOOKS))!;
    expect([...read.groups.keys()]).toEqual(expect.arrayContaining(['slurm_master', 'slurm_worker']));
    for (const description of read.groups.values()) expect(description).not.toBe('');
    const texts = await Promise.all(
      [
        'site.yml',
        ...(await readdir(join(PLAYBOOKS, 'roles', 'herd_vars', 'defaults'))).map((f) =>
          join('roles', 'herd_vars', 'defaults', f),
        ),
      ].map((f) => readFile(join(PLAYBOOKS, f), 'utf8')),
    );
    const playbooks = texts.join('\n');
    for (const group of read.groups.keys()) expect(playbooks, group).toContain(group);
    for (const [alias, target] of read.aliases) expect(read.groups.has(target), alias).toBe(true);
  });
});
