import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { splitShellWords } from '../../src/config/shell-words.js';
import { AnsibleError, HostRequirementError, UsageError } from '../../src/errors.js';
import { buildAnsibleInvocation, runAnsible } from '../../src/setup/ansible.js';
import { createAnsibleOutputParser } from '../../src/setup/ansible-output.js';
import { clusterState, kind, node, template } from '../ssh/fixtures.js';

/** herd's ANSIBLE_SSH_ARGS for the fixture cluster: no connection sharing, the pinned known_hosts. */
const HERD_SSH_ARGS =
  '-o ControlMaster=no -o ControlPath=none -o IdentitiesOnly=yes -o UserKnownHostsFile=/var/lib/herd/mycluster.known_hosts -o GlobalKnownHostsFile=/dev/null -o KnownHostsCommand=none -o StrictHostKeyChecking=yes -o CheckHostIP=no -o UpdateHostKeys=no -o VerifyHostKeyDNS=no';

const nodes = Array.from({ length: 7 }, (_, i) => node(`compute00${i + 1}`, `10.0.0.${i + 1}`));

describe('buildAnsibleInvocation', () => {
  const state = clusterState(nodes);

  it('runs ansible-playbook with key, inventory, become and the playbook', () => {
    const inv = buildAnsibleInvocation({ state, env: {} });
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
      ANSIBLE_SSH_ARGS: HERD_SSH_ARGS,
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
    // The user's ssh arguments follow herd's, which OpenSSH then keeps (it takes the first value).
    expect(env.ANSIBLE_SSH_ARGS).toBe(`${HERD_SSH_ARGS} -o Mine=yes`);
    expect(env.ANSIBLE_PYTHON_INTERPRETER).toBe('/usr/bin/python3');
    expect(env.ANSIBLE_ROLES_PATH).toBe('/opt/herd/playbooks/roles:/usr/lib/herd/playbooks/roles');
    expect(env.HOME).toBe('/root');
    expect(env.PATH).toBe('/bin');
  });

  it('passes an allowlisted environment: no cloud credential reaches ansible-playbook', () => {
    const env = buildAnsibleInvocation({
      state,
      env: {
        PATH: '/usr/bin',
        HOME: '/root',
        LANG: 'C.UTF-8',
        LC_ALL: 'C.UTF-8',
        SSH_AUTH_SOCK: '/run/agent',
        ANSIBLE_FORKS: '3',
        AWS_SECRET_ACCESS_KEY: 'aws-S3CR3T',
        AWS_ACCESS_KEY_ID: 'AKIA-S3CR3T',
        EC2_SECRET_KEY: 'ec2-S3CR3T',
        OS_PASSWORD: 'os-S3CR3T',
        OS_AUTH_URL: 'https://keystone',
        GOOGLE_APPLICATION_CREDENTIALS: '/keys/S3CR3T.json',
        GOOGLE_OAUTH_ACCESS_TOKEN: 'ya29.S3CR3T',
        HERD_STORAGE: '/var/lib/herd',
      },
    }).env;
    expect(
      Object.keys(env)
        .filter((k) => !k.startsWith('ANSIBLE_'))
        .sort(),
    ).toEqual(['HOME', 'LANG', 'LC_ALL', 'PATH', 'SSH_AUTH_SOCK']);
    expect(env.ANSIBLE_FORKS).toBe('3');
    expect(JSON.stringify(env)).not.toContain('S3CR3T');
  });

  it('keeps extra vars off the command line: each becomes a private file in the run directory', () => {
    const tpl = template({
      setup: {
        ...template().setup,
        ansibleExtraArgs: ['--extra-vars', 'db_password=S3CR3T-db', '--tags', 'slurm'],
      },
    });
    const inv = buildAnsibleInvocation({
      state,
      template: tpl,
      env: {},
      extraArgs: ['-e', '{"token": "S3CR3T-json"}', '-e@/etc/herd/vars.yml', '--extra-vars=x=1'],
      runDir: '/var/lib/herd/mycluster.run',
    });
    expect(inv.args.slice(inv.args.indexOf('/opt/herd/playbooks/site.yml') + 1)).toEqual([
      '-e',
      '@/var/lib/herd/mycluster.run/extra-vars-1.yml',
      '--tags',
      'slurm',
      '-e',
      '@/var/lib/herd/mycluster.run/extra-vars-2.yml',
      '-e@/etc/herd/vars.yml',
      '-e',
      '@/var/lib/herd/mycluster.run/extra-vars-3.yml',
    ]);
    expect(inv.files).toEqual([
      { path: '/var/lib/herd/mycluster.run/extra-vars-1.yml', text: '{"db_password":"S3CR3T-db"}\n' },
      { path: '/var/lib/herd/mycluster.run/extra-vars-2.yml', text: '{"token": "S3CR3T-json"}\n' },
      { path: '/var/lib/herd/mycluster.run/extra-vars-3.yml', text: '{"x":"1"}\n' },
    ]);
    expect(JSON.stringify([inv.command, inv.args])).not.toContain('S3CR3T');
  });

  it('passes secret settings and variables in the environment, never on the command line', () => {
    const tpl = template({
      setup: {
        ...template().setup,
        ansibleSettings: { ansible_become_pass: 'S3CR3T-become', ansible_forks: '3' },
        globalVars: { db_password: 'S3CR3T-db' },
      },
      kinds: [kind('frontend', ['slurm_master'], { db_password: 'S3CR3T-db', api_token: 'S3CR3T-tok' })],
    });
    const inv = buildAnsibleInvocation({ state, template: tpl, env: {} });
    expect(inv.env.HERD_SECRET_1).toBe('S3CR3T-become');
    expect(inv.env.HERD_SECRET_2).toBe('S3CR3T-db');
    expect(inv.env.HERD_SECRET_3).toBe('S3CR3T-tok');
    expect(JSON.stringify(inv.args)).not.toContain('S3CR3T');
  });

  it.each([
    [['-e', 'ansible_ssh_args=-o StrictHostKeyChecking=no'], /sets ansible_ssh_args/],
    [['--extra-vars={"ansible_ssh_common_args": "-o UserKnownHostsFile=/dev/null"}'], /UserKnownHostsFile/],
    [['-e', 'ansible_connection=paramiko'], /selects the paramiko connection/],
    [['-e', '{"ansible_connection": "local"}'], /selects the local connection/],
    [['-c', 'paramiko'], /--connection paramiko/],
    [['--connection=paramiko_ssh'], /--connection paramiko_ssh/],
  ])('refuses %j, which would undo the host-key pinning', (extraArgs, message) => {
    let error: unknown;
    try {
      buildAnsibleInvocation({ state, env: {}, extraArgs });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(message);
    // The refusal never quotes the extra vars: they may hold a secret.
    expect((error as UsageError).message).not.toContain('/dev/null');
  });

  it('accepts extra vars that only mention such words in values', () => {
    expect(() =>
      buildAnsibleInvocation({
        state,
        env: {},
        extraArgs: ['-e', 'packages=python3-paramiko', '-e', 'ansible_connection=ssh'],
      }),
    ).not.toThrow();
  });

  it('drops the options herd owns from ssh arguments in flags and the environment, with a warning', () => {
    const inv = buildAnsibleInvocation({
      state,
      env: {
        ANSIBLE_SSH_ARGS:
          '-o StrictHostKeyChecking=no -oUserKnownHostsFile=/dev/null -o ServerAliveInterval=5',
        ANSIBLE_SSH_COMMON_ARGS: '-o "GlobalKnownHostsFile /tmp/k" -C',
        ANSIBLE_HOST_KEY_CHECKING: 'False',
      },
      extraArgs: [
        '--ssh-extra-args',
        '-o ControlPath=/tmp/x -o Compression=no',
        '--ssh-common-args=-o HostKeyAlias=x',
      ],
    });
    expect(inv.env.ANSIBLE_SSH_ARGS).toBe(`${HERD_SSH_ARGS} -o ServerAliveInterval=5`);
    expect(inv.env.ANSIBLE_SSH_COMMON_ARGS).toBe('-C');
    expect(inv.args).toContain('-o Compression=no');
    expect(inv.args).toContain('--ssh-common-args=');
    expect(inv.warnings.join('\n')).toMatch(
      /ANSIBLE_SSH_ARGS: StrictHostKeyChecking, UserKnownHostsFile are ignored/,
    );
    expect(inv.warnings.join('\n')).toMatch(/ANSIBLE_SSH_COMMON_ARGS: GlobalKnownHostsFile is ignored/);
    expect(inv.warnings.join('\n')).toMatch(/ANSIBLE_HOST_KEY_CHECKING: has no effect/);
    expect(inv.warnings.join('\n')).toMatch(/--ssh-extra-args: ControlPath is ignored/);
    expect(inv.warnings.join('\n')).toMatch(/--ssh-common-args: HostKeyAlias is ignored/);
  });
});

describe('splitShellWords', () => {
  it.each([
    ['ansible-playbook', ['ansible-playbook']],
    ['  a   b ', ['a', 'b']],
    [`a 'b c' "d \\"e\\"" f\\ g`, ['a', 'b c', 'd "e"', 'f g']],
    [`x='' ""`, ['x=', '']],
    [`a 'b`, "unclosed ' quote; close it or escape it with a backslash"],
    [`a "b`, 'unclosed " quote; close it or escape it with a backslash'],
    ['', []],
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
  const alphaLocal = 'alpha ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n';
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

  it('gives the playbook the extra vars from private files, removed after the run, and no cloud credential', async () => {
    await inTempDir(async (dir) => {
      await writeFile(join(dir, 'inventory'), alphaLocal);
      await writeFile(
        join(dir, 'site.yml'),
        [
          '- hosts: all',
          '  gather_facts: false',
          '  become: false',
          '  tasks:',
          '    - copy:',
          `        dest: ${join(dir, 'out')}`,
          `        content: "{{ a }}|{{ b }}|{{ c | to_json }}|{{ lookup('env', 'AWS_SECRET_ACCESS_KEY') }}|{{ lookup('env', 'OS_PASSWORD') }}|{{ lookup('env', 'HOME') != '' }}"`,
          '',
        ].join('\n'),
      );
      const runDir = join(dir, 'c.run');
      const local = {
        ...clusterState(
          [node('alpha', '127.0.0.1')],
          template({
            setup: {
              ...template().setup,
              playbookPath: join(dir, 'site.yml'),
              ansibleExtraArgs: ['-e', 'a=1 b="x y"'],
            },
          }),
        ),
      };
      local.paths = { ...local.paths, inventory: join(dir, 'inventory'), privateKey: join(dir, 'key') };
      const invocation = buildAnsibleInvocation({
        state: local,
        env: { ...process.env, AWS_SECRET_ACCESS_KEY: 'S3CR3T-aws', OS_PASSWORD: 'S3CR3T-os' },
        extraArgs: ['-e', '{"c": [1, 2]}'],
        runDir,
      });
      expect(JSON.stringify(invocation.args)).not.toContain('x y');
      await runAnsible({ ...invocation, runDir });
      expect(await readFile(join(dir, 'out'), 'utf8')).toBe('1|x y|[1, 2]|||True');
      expect(await readdir(runDir)).toEqual([]);
      expect((await stat(runDir)).mode & 0o777).toBe(0o700);
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
      // A sleep of its own (other worktrees run this test at the same time), found by pgrep below.
      const sleep = `sleep 59.${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
      await writeFile(join(dir, 'inventory'), alphaLocal);
      await writeFile(
        join(dir, 'site.yml'),
        `- hosts: all\n  gather_facts: false\n  tasks:\n    - command: ${sleep}\n`,
      );
      const controller = new AbortController();
      const run = runAnsible({
        command: 'ansible-playbook',
        args: ['-i', join(dir, 'inventory'), join(dir, 'site.yml')],
        // Ansible's and its modules' temp files in the test's directory, removed with it: a module
        // killed mid-task leaves its /tmp/ansible_*_payload_* directory (AnsiballZ) behind.
        env: {
          TMPDIR: dir,
          ANSIBLE_LOCAL_TEMP: join(dir, 'local-tmp'),
          ANSIBLE_REMOTE_TEMP: join(dir, 'remote-tmp'),
        },
        signal: controller.signal,
        onLine: (line) => {
          if (line.startsWith('TASK [command]')) controller.abort();
        },
      });
      // The task sleeps 59 s, longer than the test timeout: only a real abort lets this resolve.
      await expect(run).rejects.toMatchObject({ code: 'Interrupted', exitCode: 130 });
      // Ansible took its task process down with it: it is gone once the kill has been delivered
      // (checked until then, for up to 10 s, far less than the task's 59 s).
      const deadline = Date.now() + 10_000;
      let left = await execa('pgrep', ['-f', sleep], { reject: false });
      while (left.stdout !== '' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        left = await execa('pgrep', ['-f', sleep], { reject: false });
      }
      expect(left.stdout).toBe('');
    });
  });

  it('lets the processes of an interrupted run finish cleaning up before it kills what is left', async () => {
    // Like AnsiballZ, which removes its /tmp/ansible_*_payload_* directory on SIGINT: a child of the
    // run that cleans up (slowly) on SIGINT, while the main process ends at once.
    await inTempDir(async (dir) => {
      const child = [
        'import os, signal, sys, time',
        'def bye(*_):',
        '    time.sleep(0.5)',
        "    open(os.environ['DONE'], 'w').close()",
        '    sys.exit(130)',
        'signal.signal(signal.SIGINT, bye)',
        "print('ready', flush=True)",
        'time.sleep(60)',
      ].join('\n');
      // The child's output goes to the main process only (as a module's goes to Ansible's worker), and
      // the main process does not wait for it: it ends on SIGINT at once.
      const main = [
        'import subprocess, sys, time',
        `c = subprocess.Popen([sys.executable, '-c', ${JSON.stringify(child)}], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)`,
        'c.stdout.readline()',
        "print('TASK [slow cleanup]', flush=True)",
        'time.sleep(60)',
      ].join('\n');
      const controller = new AbortController();
      const run = runAnsible({
        command: '/usr/bin/python3',
        args: ['-c', main],
        env: { DONE: join(dir, 'done') },
        signal: controller.signal,
        onLine: (line) => {
          if (line.startsWith('TASK [slow cleanup]')) controller.abort();
        },
      });
      await expect(run).rejects.toMatchObject({ code: 'Interrupted' });
      expect(await readdir(dir)).toContain('done');
    });
  });

  it('names the Debian package when ansible-playbook is missing', async () => {
    const error = await inTempDir(() =>
      runAnsible({
        command: 'ansible-playbook',
        args: [],
        env: { PATH: '/nonexistent' },
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
