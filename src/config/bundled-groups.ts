/**
 * The Ansible groups herd's bundled playbooks provide, read from `playbooks/groups.json`:
 * `{"groups": {"slurm_master": "one-line description", ...}, "aliases": {"slurm_client": "slurm_submit"}}`.
 * The file is the playbooks' own list, so a recipe added there is known here without a code change.
 * Fields other than these two are ignored, and a group may also be written as an object with a
 * `description` (or as a plain list of names).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What the bundled playbooks provide. */
export interface BundledGroups {
  /** Group name -> one-line description. */
  groups: ReadonlyMap<string, string>;
  /** Another spelling the playbooks accept -> the group it means. */
  aliases: ReadonlyMap<string, string>;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  const description = (value as { description?: unknown } | null)?.description;
  return typeof description === 'string' ? description : '';
}

/**
 * Reads `<playbooksDir>/groups.json`; undefined when the directory has no such file (a custom
 * playbooks directory). A file that is not of the shape above is a packaging error and throws.
 */
export async function bundledGroups(playbooksDir: string): Promise<BundledGroups | undefined> {
  const file = join(playbooksDir, 'groups.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const data = JSON.parse(text) as { groups?: unknown; aliases?: unknown };
  const groups = new Map<string, string>();
  if (Array.isArray(data.groups)) {
    for (const name of data.groups) if (typeof name === 'string') groups.set(name, '');
  } else if (data.groups && typeof data.groups === 'object') {
    for (const [name, value] of Object.entries(data.groups)) groups.set(name, describe(value));
  }
  if (groups.size === 0) throw new Error(`${file}: "groups" lists no group`);
  const aliases = new Map<string, string>();
  if (data.aliases && typeof data.aliases === 'object') {
    for (const [alias, target] of Object.entries(data.aliases)) {
      if (typeof target === 'string') aliases.set(alias, target);
    }
  }
  return { groups, aliases };
}
