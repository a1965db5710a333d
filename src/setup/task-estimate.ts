/**
 * How many tasks a run will start, for the progress bar. `--list-tasks` misses what dynamic includes
 * add (the bundled playbooks start about twice what it lists), so herd also remembers, per playbook
 * and arguments, how many tasks the last successful run started, and takes the larger of the two.
 * The record is `<storage>/cache/ansible-tasks.json`: not beside the state files, whose `*.json`
 * names are clusters.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePrivateFileAtomic } from '../ssh/write-private-file.js';
import type { AnsibleInvocation } from './ansible.js';
import { TASK } from './ansible-output.js';
import { countTasks } from './run-ansible.js';

const FILE = join('cache', 'ansible-tasks.json');

/**
 * The record's key for a playbook run with these arguments: a digest, since the arguments may hold
 * extra vars with secrets, which never reach a file herd keeps.
 */
export function taskCountKey(playbook: string, extraArgs: readonly string[]): string {
  return createHash('sha256')
    .update(JSON.stringify([playbook, ...extraArgs]))
    .digest('hex');
}

/** Counts the tasks a run starts (Gathering Facts aside, as --list-tasks does) from its output lines. */
export function createTaskCounter(): { push(line: string): void; readonly count: number } {
  let count = 0;
  return {
    push(line) {
      const task = TASK.exec(line.trimEnd());
      if (task && task[1] !== 'Gathering Facts') count++;
    },
    get count() {
      return count;
    },
  };
}

/** The larger of what `--list-tasks` lists and what the last run of `key` started; undefined when neither is known. */
export async function estimateTaskCount(
  invocation: Pick<AnsibleInvocation, 'command' | 'args' | 'env'>,
  storageDir: string,
  key: string,
  signal?: AbortSignal,
): Promise<number | undefined> {
  const [listed, remembered] = await Promise.all([countTasks(invocation, signal), readCounts(storageDir)]);
  const last = remembered[key];
  if (listed === undefined && last === undefined) return undefined;
  return Math.max(listed ?? 0, last ?? 0);
}

/** Records what a successful run of `key` started. */
export async function rememberTaskCount(storageDir: string, key: string, count: number): Promise<void> {
  if (count === 0) return;
  const counts = await readCounts(storageDir);
  if (counts[key] === count) return;
  await writePrivateFileAtomic(
    join(storageDir, FILE),
    `${JSON.stringify({ ...counts, [key]: count }, null, 2)}\n`,
  );
}

async function readCounts(storageDir: string): Promise<Record<string, number>> {
  try {
    const data = JSON.parse(await readFile(join(storageDir, FILE), 'utf8')) as unknown;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return {};
    return Object.fromEntries(
      Object.entries(data).filter(([, v]) => typeof v === 'number' && Number.isInteger(v) && v > 0),
    );
  } catch {
    return {};
  }
}
