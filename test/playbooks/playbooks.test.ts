/**
 * Static checks of the bundled playbooks, fast enough for every run: Ansible accepts them, they use only
 * ansible.builtin modules (no collection is installed with ansible-core), and no command or shell task can
 * report a change on a re-run of an unchanged cluster.
 */
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const PLAYBOOKS = fileURLToPath(new URL('../../playbooks/', import.meta.url));

/** Every task of every task and handler file, as [file, task name, module keys] (read with Ansible's PyYAML). */
const LIST_TASKS = `
import glob, json, os, sys, yaml
root = sys.argv[1]
out = []
def walk(tasks, path):
    for t in tasks or []:
        for key in ('block', 'rescue', 'always'):
            if key in t: walk(t[key], path)
        if not any(k in t for k in ('block', 'rescue', 'always')):
            out.append({'file': os.path.relpath(path, root), 'task': t})
for path in glob.glob(os.path.join(root, 'roles/*/tasks/*.yml')) + glob.glob(os.path.join(root, 'roles/*/handlers/*.yml')):
    walk(yaml.safe_load(open(path)), path)
for path in glob.glob(os.path.join(root, '*.yml')):
    for play in yaml.safe_load(open(path)) or []:
        for key in ('pre_tasks', 'tasks', 'post_tasks', 'handlers'):
            walk(play.get(key), path)
print(json.dumps(out, default=str))
`;

interface TaskEntry {
  file: string;
  task: Record<string, unknown>;
}

/** Keys of a task that are not its module. */
const TASK_KEYWORDS = new Set([
  'name',
  'when',
  'register',
  'notify',
  'listen',
  'vars',
  'loop',
  'loop_control',
  'with_items',
  'args',
  'changed_when',
  'failed_when',
  'until',
  'retries',
  'delay',
  'no_log',
  'become',
  'delegate_to',
  'delegate_facts',
  'run_once',
  'ignore_errors',
  'tags',
  'environment',
  'check_mode',
]);

async function listTasks(): Promise<TaskEntry[]> {
  const { stdout } = await execa('python3', ['-c', LIST_TASKS, PLAYBOOKS]);
  return JSON.parse(stdout) as TaskEntry[];
}

describe('bundled playbooks', () => {
  it.each(['site.yml', 'slurm-drain.yml'])('%s passes ansible-playbook --syntax-check', async (playbook) => {
    const result = await execa('ansible-playbook', ['--syntax-check', '-i', 'localhost,', playbook], {
      cwd: PLAYBOOKS,
      reject: false,
      all: true,
    });
    expect(result.exitCode, result.all).toBe(0);
  });

  it('uses only ansible.builtin modules, by their full names', async () => {
    const tasks = await listTasks();
    expect(tasks.length).toBeGreaterThan(40);
    const offenders = tasks.flatMap(({ file, task }) =>
      Object.keys(task)
        .filter((key) => !TASK_KEYWORDS.has(key) && !key.startsWith('ansible.builtin.'))
        .map((key) => `${file}: "${String(task['name'])}" uses ${key}`),
    );
    expect(offenders).toEqual([]);
  });

  it('gives every command and shell task a changed_when or creates', async () => {
    const tasks = await listTasks();
    const offenders = tasks
      .filter(({ task }) => 'ansible.builtin.command' in task || 'ansible.builtin.shell' in task)
      .filter(({ task }) => {
        const args = (task['args'] ?? {}) as Record<string, unknown>;
        return !('changed_when' in task) && !('creates' in args) && !('removes' in args);
      })
      .map(({ file, task }) => `${file}: "${String(task['name'])}"`);
    expect(offenders).toEqual([]);
  });

  it('names every task, so that a failed run says which step broke', async () => {
    const unnamed = (await listTasks()).filter(({ task }) => !task['name']).map(({ file }) => file);
    expect(unnamed).toEqual([]);
  });
});
