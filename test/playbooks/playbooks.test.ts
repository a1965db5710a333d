/**
 * Static checks of the bundled playbooks, fast enough for every run: Ansible accepts them, they use only
 * ansible.builtin modules (no collection is installed with ansible-core), and no command or shell task can
 * report a change on a re-run of an unchanged cluster.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  'become_user',
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

describe('playbooks/groups.json', () => {
  const read = (path: string) => readFileSync(join(PLAYBOOKS, path), 'utf8');
  const catalogue = JSON.parse(read('groups.json')) as {
    groups: Record<string, string>;
    aliases: Record<string, string>;
  };
  /** Every `groups['NAME']` the plays and the shared role defaults read (but `all`, Ansible's own group of every host). */
  const referenced = new Set(
    [read('site.yml'), read('roles/herd_vars/defaults/main.yml')]
      .flatMap((text) => [...text.matchAll(/groups\['([a-z0-9_-]+)'\]/g)].map((m) => m[1]!))
      .filter((group) => group !== 'all'),
  );

  it('lists exactly the groups site.yml reads, each alias pointing at a listed group', () => {
    const listed = [...Object.keys(catalogue.groups), ...Object.keys(catalogue.aliases)].sort();
    expect(listed).toEqual([...referenced].sort());
    for (const target of Object.values(catalogue.aliases))
      expect(Object.keys(catalogue.groups)).toContain(target);
  });

  it('has every group in the README catalogue', () => {
    const readme = read('README.md');
    for (const name of [...Object.keys(catalogue.groups), ...Object.keys(catalogue.aliases)]) {
      expect(readme, name).toContain(`\`${name}\``);
    }
  });
});

describe('cluster_users', () => {
  /** herd_users as Ansible computes it from cluster_users (role herd_vars, on this machine). */
  async function parseUsers(value: string): Promise<unknown> {
    const dir = await mkdtemp(join(tmpdir(), 'herd-users-'));
    try {
      const playbook = join(dir, 'users.yml');
      await writeFile(
        playbook,
        [
          '- hosts: localhost',
          '  gather_facts: false',
          '  roles: [herd_vars]',
          '  tasks:',
          '    - ansible.builtin.debug:',
          '        msg: "USERS{{ herd_users | to_json }}USERS"',
        ].join('\n'),
      );
      const { stdout } = await execa(
        'ansible-playbook',
        ['-i', 'localhost,', '-c', 'local', playbook, '-e', JSON.stringify({ cluster_users: value })],
        { env: { ANSIBLE_ROLES_PATH: join(PLAYBOOKS, 'roles'), ANSIBLE_NOCOLOR: '1' } },
      );
      return JSON.parse(/USERS(.*)USERS/.exec(stdout)![1]!.replace(/\\"/g, '"'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('reads a comma list of name or name:uid, numbering users without a uid from the base', async () => {
    expect(await parseUsers('alice:2001, bob ,carol:3000')).toEqual([
      { name: 'alice', uid: 2001 },
      { name: 'bob', uid: 2002 },
      { name: 'carol', uid: 3000 },
    ]);
    expect(await parseUsers('')).toEqual([]);
  });
});
