import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { AnsibleError, HostRequirementError } from '../../src/errors.js';
import { buildAnsibleInvocation, runAnsible, splitShellWords } from '../../src/setup/ansible.js';
import { createAnsibleOutputParser } from '../../src/setup/ansible-output.js';
import { clusterState, node, template } from '../ssh/fixtures.js';

const nodes = Array.from({ length: 7 }, (_, i) => node(`compute00${i + 1}`, `10.0.0.${i + 1}`));

describe('buildAnsibleInvocation', () => {
  const state = clusterState(nodes);

  it('runs ansible-playbook with key, inventory, become and the playbook', () => {
    const inv = buildAnsibleInvocation({ state, env: {}, controlDir: '/tmp/herd-cp-0' });
    expect(inv.command).toBe('ansible-playbook');
    expect(inv.args).toEqual([
      '--private-key=/var/lib/herd/mycluster.key',
      '--inventory=/var/lib/herd/mycluster.inventory',
      '--become',
      '--become-user=root',
      '/opt/herd/playbooks/site.yml',
    ]);
    expect(inv.env).toEqual({
      ANSIBLE_FORKS: '7',
      ANSIBLE_HOST_KEY_CHECKING: 'True',
      ANSIBLE_RETRY_FILES_ENABLED: 'no',
      ANSIBLE_ROLES_PATH: '/opt/herd/playbooks/roles',
      ANSIBLE_SSH_PIPELINING: 'yes',
      ANSIBLE_PIPELINING: 'yes',
      ANSIBLE_SSH_TRANSFER_METHOD: 'piped',
      ANSIBLE_TIMEOUT: '120',
      ANSIBLE_SSH_ARGS:
        '-o ControlMaster=auto -o ControlPersist=60s -o ControlPath=/tmp/herd-cp-0/%C -o IdentitiesOnly=yes -o UserKnownHostsFile=/var/lib/herd/mycluster.known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o CheckHostIP=no -o UpdateHostKeys=no',
      ANSIBLE_CALLBACK_RESULT_FORMAT: 'json',
      ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
    });
    // No secret on the command line or in the environment.
    expect(JSON.stringify(inv)).not.toContain('S3CR3T');
  });

  it('adds -v.., ansible_extra_args and herd setup args in that order, and honours ansible_command', () => {
    const tpl = template({
      setup: {
        ...template().setup,
        ansibleCommand: `/opt/venv/bin/ansible-playbook --diff --extra-vars 'a=1 b=2'`,
        ansibleExtraArgs: ['--tags', 'slurm'],
      },
    });
    const inv = buildAnsibleInvocation({
      state,
      template: tpl,
      env: {},
      verbosity: 2,
      extraArgs: ['--limit', 'compute001'],
    });
    expect(inv.command).toBe('/opt/venv/bin/ansible-playbook');
    expect(inv.args).toEqual([
      '--diff',
      '--extra-vars',
      'a=1 b=2',
      '--private-key=/var/lib/herd/mycluster.key',
      '--inventory=/var/lib/herd/mycluster.inventory',
      '--become',
      '--become-user=root',
      '-vv',
      '/opt/herd/playbooks/site.yml',
      '--tags',
      'slurm',
      '--limit',
      'compute001',
    ]);
  });

  it.each([
    [0, '5'],
    [3, '5'],
    [7, '7'],
    [80, '50'],
  ])('scales forks to %i ready nodes: %s', (count, forks) => {
    const many = Array.from({ length: count }, (_, i) =>
      node(`compute${String(i + 1).padStart(3, '0')}`, '10.0.0.1'),
    );
    const failed = node('compute999', undefined);
    expect(
      buildAnsibleInvocation({ state: clusterState([...many, failed]), env: {} }).env.ANSIBLE_FORKS,
    ).toBe(forks);
  });

  it('lets ansible_<x> keys override herd defaults and the user environment override both', () => {
    const tpl = template({
      setup: {
        ...template().setup,
        ansibleSettings: {
          ansible_forks: 20,
          ansible_timeout: 30,
          ansible_python_interpreter: '/usr/bin/python3',
        },
      },
    });
    const env = buildAnsibleInvocation({
      state,
      template: tpl,
      env: { ANSIBLE_TIMEOUT: '999', ANSIBLE_SSH_ARGS: '-o Mine=yes', HOME: '/root', PATH: '/bin' },
      bundledRolesDir: '/usr/lib/herd/playbooks/roles',
    }).env;
    expect(env.ANSIBLE_FORKS).toBe('20');
    expect(env.ANSIBLE_TIMEOUT).toBe('999');
    expect(env.ANSIBLE_SSH_ARGS).toBe('-o Mine=yes');
    expect(env.ANSIBLE_PYTHON_INTERPRETER).toBe('/usr/bin/python3');
    expect(env.ANSIBLE_ROLES_PATH).toBe('/opt/herd/playbooks/roles:/usr/lib/herd/playbooks/roles');
    // Only ANSIBLE_* variables are herd's business; the rest is inherited as is.
    expect(env).not.toHaveProperty('HOME');
  });
});

describe('splitShellWords', () => {
  it.each([
    ['ansible-playbook', ['ansible-playbook']],
    ['  a   b ', ['a', 'b']],
    [`a 'b c' "d \\"e\\"" f\\ g`, ['a', 'b c', 'd "e"', 'f g']],
    [`x='' ""`, ['x=', '']],
  ])('%s', (line, words) => {
    expect(splitShellWords(line)).toEqual(words);
  });
});

describe('runAnsible with a real ansible-playbook', () => {
  const failingPlaybook = `
- hosts: all
  gather_facts: false
  tasks:
    - name: Always fine
      command: "true"
    - name: Ignored failure
      command: "false"
      ignore_errors: true
      when: inventory_hostname == 'alpha'
    - block:
        - name: Rescued failure
          command: "false"
          when: inventory_hostname == 'alpha'
      rescue:
        - debug: msg=rescued
    - name: Loop failure
      command: "sh -c 'echo no space left >&2; {{ item }}'"
      loop: ["true", "false"]
      when: inventory_hostname == 'alpha'
    - name: Break on beta
      fail:
        msg: "beta is broken: disk full"
      when: inventory_hostname == 'beta'
`;
  const localInventory = [
    'alpha ansible_connection=local ansible_python_interpreter=/usr/bin/python3',
    'beta ansible_connection=local ansible_python_interpreter=/usr/bin/python3',
    'delta ansible_connection=local ansible_python_interpreter=/usr/bin/python3',
    'gamma ansible_host=127.0.0.2 ansible_port=1 ansible_connection=ssh',
    '',
  ].join('\n');

  async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'herd-ansible-'));
    try {
      return await fn(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('names the failing hosts and tasks, ignoring ignored and rescued failures', async () => {
    await inTempDir(async (dir) => {
      await writeFile(join(dir, 'inventory'), localInventory);
      await writeFile(join(dir, 'site.yml'), failingPlaybook);
      const lines: string[] = [];
      const error = await runAnsible({
        command: 'ansible-playbook',
        args: ['-i', join(dir, 'inventory'), join(dir, 'site.yml')],
        env: {
          ANSIBLE_CALLBACK_RESULT_FORMAT: 'json',
          ANSIBLE_HOST_KEY_CHECKING: 'False',
          ANSIBLE_TIMEOUT: '5',
        },
        onLine: (line) => lines.push(line),
        cluster: 'mycluster',
        controlDir: join(dir, 'cp'),
      }).catch((e: unknown) => e);
      expect(lines).toContain(
        'PLAY RECAP *********************************************************************',
      );
      expect(error).toBeInstanceOf(AnsibleError);
      const e = error as AnsibleError;
      expect(e.exitCode).toBe(1);
      expect(e.failedHosts).toEqual(['alpha', 'beta', 'gamma']);
      const [head, ...rest] = e.message.split('\n');
      expect(head).toBe('Ansible setup failed on 3 hosts (alpha, beta, gamma):');
      expect(rest[0]).toBe(
        '  - alpha: task "Loop failure" (item=false): non-zero return code: no space left',
      );
      expect(rest[1]).toBe('  - beta: task "Break on beta": beta is broken: disk full');
      expect(rest[2]).toMatch(
        /^ {2}- gamma: unreachable in task "Always fine": Failed to connect to the host via ssh: .*port 1: Connection refused/,
      );
      expect(rest).toHaveLength(3);
      expect(e.hint).toMatch(/herd setup mycluster/);
    });
  });

  it('reports ERROR! lines of a run that never started', async () => {
    await inTempDir(async (dir) => {
      await writeFile(join(dir, 'inventory'), localInventory);
      await writeFile(join(dir, 'site.yml'), '- hosts: all\n  tasks:\n    - no_such_module_xyz: {}\n');
      const error = (await runAnsible({
        command: 'ansible-playbook',
        args: ['-i', join(dir, 'inventory'), join(dir, 'site.yml')],
        env: {},
        controlDir: join(dir, 'cp'),
      }).catch((e: unknown) => e)) as AnsibleError;
      expect(error).toBeInstanceOf(AnsibleError);
      expect(error.failedHosts).toEqual([]);
      expect(error.message).toMatch(
        /^ansible-playbook exited with code 4:\ncouldn't resolve module\/action 'no_such_module_xyz'/,
      );
    });
  });

  it('interrupts ansible-playbook on abort', async () => {
    await inTempDir(async (dir) => {
      await writeFile(
        join(dir, 'inventory'),
        'alpha ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n',
      );
      await writeFile(
        join(dir, 'site.yml'),
        '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: sleep 59.4321\n',
      );
      const controller = new AbortController();
      const run = runAnsible({
        command: 'ansible-playbook',
        args: ['-i', join(dir, 'inventory'), join(dir, 'site.yml')],
        env: {},
        signal: controller.signal,
        controlDir: join(dir, 'cp'),
        onLine: (line) => {
          if (line.startsWith('TASK [command]')) controller.abort();
        },
      });
      // The task sleeps 59 s, longer than the test timeout: only a real abort lets this resolve.
      await expect(run).rejects.toMatchObject({ code: 'Interrupted', exitCode: 130 });
      // Ansible took its task process down with it.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const left = await execa('pgrep', ['-f', 'sleep 59.4321'], { reject: false });
      expect(left.stdout).toBe('');
    });
  });

  it('names the Debian package when ansible-playbook is missing', async () => {
    const error = await inTempDir((dir) =>
      runAnsible({
        command: 'ansible-playbook',
        args: [],
        env: { PATH: '/nonexistent' },
        controlDir: dir,
      }).catch((e: unknown) => e),
    );
    expect(error).toBeInstanceOf(HostRequirementError);
    expect((error as HostRequirementError).hint).toMatch(/Debian package ansible-core/);
  });
});

describe('createAnsibleOutputParser', () => {
  it('strips colours and takes the host before a delegation arrow', () => {
    const parser = createAnsibleOutputParser();
    for (const line of [
      'TASK [slurm : Start slurmd] ****',
      '\x1b[0;31mfatal: [compute001 -> frontend001]: FAILED! => {"msg": "boom"}\x1b[0m',
      'PLAY RECAP ****',
      'compute001                 : ok=3    changed=0    unreachable=0    failed=1    skipped=0',
    ]) {
      parser.push(line);
    }
    expect(parser.summary().failures).toEqual([
      { host: 'compute001', task: 'slurm : Start slurmd', unreachable: false, message: 'boom' },
    ]);
  });
});
