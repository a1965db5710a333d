/**
 * The real path of a setup run, short of real nodes: herd's inventory, known_hosts and ssh options
 * drive ansible-playbook over the OpenSSH client (per-node control sockets in the cluster's run
 * directory, pinned keys looked up by node name) to an in-process SSH server that runs commands
 * on this machine. Also: every way a user can feed ssh options to Ansible keeps the pinning, as
 * `ansible-playbook -vvvv` shows and as a node with a wrong key proves.
 */
import { lstat, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitShellWords } from '../../src/config/shell-words.js';
import type { Template } from '../../src/config/types.js';
import { AnsibleError } from '../../src/errors.js';
import { buildAnsibleInvocation, runAnsible } from '../../src/setup/ansible.js';
import { renderInventory, writeInventory } from '../../src/setup/inventory.js';
import { generateKeyPair } from '../../src/ssh/keys.js';
import { writeKnownHosts } from '../../src/ssh/known-hosts.js';
import type { ClusterState } from '../../src/state/types.js';
import { clusterState, kind, node, template } from '../ssh/fixtures.js';
import { type SshTestServer, startSshTestServer, testKeyPair } from '../ssh/ssh-test-server.js';

let dir: string;
let runDir: string;
let server: SshTestServer;
let state: ClusterState;
let base: Template;

const playbook = `
- hosts: all
  gather_facts: false
  become: false
  tasks:
    - name: Python answers
      ping:
    - name: Write a marker
      copy:
        content: "{{ inventory_hostname }} {{ ansible_host }} {{ marker_password }}\\n"
        dest: "{{ marker_dir }}/{{ inventory_hostname }}"
- hosts: slurm_worker
  gather_facts: false
  become: false
  tasks:
    - name: Worker check
      fail:
        msg: "worker refused"
      when: fail_workers | default(false) | bool
`;

const MARKER_SECRET = 'S3cr3t-marker-value';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-ansible-ssh-'));
  runDir = join(dir, 'mycluster.run');
  const keys = await generateKeyPair(join(dir, 'cluster.key'), 'mycluster');
  server = await startSshTestServer({ authorizedKeys: [keys.publicKey], hosts: ['127.0.0.1', '127.0.0.3'] });
  await writeFile(join(dir, 'site.yml'), playbook);
  const fixture = template();
  base = template({
    setup: {
      ...fixture.setup,
      playbookPath: join(dir, 'site.yml'),
      ansibleSettings: { ansible_port: server.port, ansible_python_interpreter: '/usr/bin/python3' },
      globalVars: { marker_dir: dir, marker_password: MARKER_SECRET },
    },
    login: { ...fixture.login, imageUser: 'root' },
    kinds: [
      kind('frontend', ['slurm_master'], { marker_dir: dir, marker_password: MARKER_SECRET }),
      kind('compute', ['slurm_worker'], { marker_dir: dir, marker_password: MARKER_SECRET }),
    ],
  });
  // Two nodes on two loopback addresses of the same server: one host key, two node names.
  state = {
    ...clusterState(
      [
        node('frontend001', '127.0.0.1', { hostKey: server.hostKey }),
        node('compute001', '127.0.0.3', { hostKey: server.hostKey }),
      ],
      base,
    ),
    paths: {
      privateKey: keys.privatePath,
      publicKey: keys.publicPath,
      knownHosts: join(dir, 'cluster.known_hosts'),
      inventory: join(dir, 'cluster.inventory'),
    },
  };
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Writes the inventory of `tpl` and runs the setup as herd does; returns Ansible's output lines. */
async function runSetup(
  options: { tpl?: Template; extraArgs?: string[]; env?: Record<string, string>; verbosity?: number } = {},
): Promise<string[]> {
  const tpl = options.tpl ?? base;
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: dir,
    ...options.env,
  };
  await writeInventory(
    state.paths.inventory,
    renderInventory(state, tpl, { runDir, envSshArgs: env['ANSIBLE_SSH_ARGS'] }),
  );
  const lines: string[] = [];
  const invocation = buildAnsibleInvocation({
    state,
    template: tpl,
    env,
    runDir,
    extraArgs: options.extraArgs ?? [],
    verbosity: options.verbosity ?? 0,
  });
  await runAnsible({ ...invocation, runDir, cluster: state.name, onLine: (l) => lines.push(l) });
  return lines;
}

/** Pins compute001 to a key the server does not have. */
async function pinWrongKeyForCompute(): Promise<void> {
  const other = ssh2.utils.parseKey(testKeyPair().public) as ssh2.ParsedKey;
  await writeKnownHosts(state.paths.knownHosts, [
    { name: 'frontend001', hostKey: server.hostKey },
    { name: 'compute001', hostKey: `ssh-ed25519 ${other.getPublicSSH().toString('base64')}` },
  ]);
}

/** The first value of each ssh option on the `SSH: EXEC ssh ...` lines Ansible -vvvv printed for `ip`. */
function firstOptionValues(lines: readonly string[], ip: string): Map<string, string>[] {
  return lines
    .filter((l) => l.startsWith(`<${ip}> SSH: EXEC ssh `))
    .map((line) => {
      const words = splitShellWords(line.slice(line.indexOf('SSH: EXEC ') + 'SSH: EXEC '.length));
      if (typeof words === 'string') throw new Error(words);
      const first = new Map<string, string>();
      for (let i = 0; i < words.length; i++) {
        const value =
          words[i] === '-o' ? words[i + 1] : words[i]!.startsWith('-o') ? words[i]!.slice(2) : undefined;
        if (value === undefined) continue;
        const [name, ...rest] = value.split(/[=\s]/);
        if (!first.has(name!.toLowerCase())) first.set(name!.toLowerCase(), rest.join('='));
      }
      return first;
    });
}

describe('ansible-playbook through herd ssh settings', () => {
  it('connects to every node with the pinned keys looked up by node name, secrets through the environment', async () => {
    await writeKnownHosts(state.paths.knownHosts, state.nodes);
    const lines = await runSetup();
    expect(lines.find((l) => l.startsWith('frontend001'))).toMatch(/ok=2 .*failed=0/);
    expect(lines.find((l) => l.startsWith('compute001'))).toMatch(/ok=2 .*failed=0/);
    expect(await readFile(join(dir, 'frontend001'), 'utf8')).toBe(`frontend001 127.0.0.1 ${MARKER_SECRET}\n`);
    expect(await readFile(join(dir, 'compute001'), 'utf8')).toBe(`compute001 127.0.0.3 ${MARKER_SECRET}\n`);
    // The secret variable reached the playbook, but not the inventory file.
    expect(await readFile(state.paths.inventory, 'utf8')).not.toContain(MARKER_SECRET);
    // Pipelining: modules went over stdin, no sftp/scp transfer.
    expect(server.commands.some((c) => c.includes('python3'))).toBe(true);
  });

  it('keeps one control socket per node in the run directory and closes the masters after the run', async () => {
    const inventory = await readFile(state.paths.inventory, 'utf8');
    const paths = [...inventory.matchAll(/ControlPath=([^\s']+)/g)].map((m) => m[1]!);
    expect(paths).toHaveLength(2);
    expect(new Set(paths).size).toBe(2);
    for (const path of paths) expect(path.startsWith(`${runDir}/`)).toBe(true);
    expect((await lstat(runDir)).mode & 0o777).toBe(0o700);
    // After the run: no socket left, no master process serving one.
    expect(await readdir(runDir)).toEqual([]);
    const masters = await execa('pgrep', ['-f', `ControlPath=${runDir}`], { reject: false });
    expect(masters.stdout).toBe('');
  });

  it('fails with the host and task named when a task fails', async () => {
    const error = (await runSetup({ extraArgs: ['-e', 'fail_workers=true'] }).catch(
      (e: unknown) => e,
    )) as AnsibleError;
    expect(error).toBeInstanceOf(AnsibleError);
    expect(error.failedHosts).toEqual(['compute001']);
    expect(error.message).toContain('  - compute001: task "Worker check": worker refused');
  });

  it('refuses a node whose key differs from the pinned one, although the last run left no master', async () => {
    await pinWrongKeyForCompute();
    try {
      // Same run directory as the runs above: only closed masters make ssh check the key again.
      const error = (await runSetup().catch((e: unknown) => e)) as AnsibleError;
      expect(error).toBeInstanceOf(AnsibleError);
      expect(error.failedHosts).toEqual(['compute001']);
      expect(error.message).toMatch(
        /^ {2}- compute001: unreachable in task "Python answers": host key changed: the node presented an SSH host key other than the one herd pinned, so ssh refused it$/m,
      );
    } finally {
      await writeKnownHosts(state.paths.knownHosts, state.nodes);
    }
  });
});

const WEAK = '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null';

/** Every way a user can feed ssh options to Ansible through herd, grouped into a few runs. */
const ROUTES: { name: string; tpl: () => Template; env?: Record<string, string>; extraArgs?: string[] }[] = [
  {
    name: 'ANSIBLE_SSH_ARGS, ANSIBLE_SSH_COMMON_ARGS, ANSIBLE_HOST_KEY_CHECKING, --ssh-extra-args',
    tpl: () => base,
    env: { ANSIBLE_SSH_ARGS: WEAK, ANSIBLE_SSH_COMMON_ARGS: WEAK, ANSIBLE_HOST_KEY_CHECKING: 'False' },
    extraArgs: ['--ssh-extra-args', WEAK],
  },
  {
    name: '[setup] ansible_ssh_args, ansible_ssh_common_args, ansible_host_key_checking',
    tpl: () => ({
      ...base,
      setup: {
        ...base.setup,
        ansibleSettings: {
          ...base.setup.ansibleSettings,
          ansible_ssh_args: WEAK,
          ansible_ssh_common_args: WEAK,
          ansible_host_key_checking: 'false',
        },
      },
    }),
  },
  {
    name: 'global_var_ansible_ssh_args and compute_var_ansible_ssh_args',
    tpl: () => ({
      ...base,
      setup: { ...base.setup, globalVars: { ...base.setup.globalVars, ansible_ssh_args: WEAK } },
      kinds: base.kinds.map((k) => ({
        ...k,
        vars: {
          ...k.vars,
          ansible_ssh_args: k.name === 'compute' ? `${WEAK} -o HostKeyAlias=frontend001` : WEAK,
        },
      })),
    }),
  },
];

describe.each(ROUTES)('user ssh options via $name', ({ tpl, env, extraArgs }) => {
  it('come after the pinning options, lose the options herd owns, and a wrong key is still refused', async () => {
    await pinWrongKeyForCompute();
    try {
      const error = await runSetup({
        tpl: tpl(),
        ...(env ? { env } : {}),
        ...(extraArgs ? { extraArgs } : {}),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AnsibleError);
      expect((error as AnsibleError).failedHosts).toEqual(['compute001']);
      expect((error as AnsibleError).message).toMatch(/compute001: unreachable .*host key changed/);
    } finally {
      await writeKnownHosts(state.paths.knownHosts, state.nodes);
    }
    // The same settings with the right key: the run works, and -vvvv shows what ssh got.
    const lines = await runSetup({
      tpl: tpl(),
      ...(env ? { env } : {}),
      ...(extraArgs ? { extraArgs } : {}),
      verbosity: 4,
    });
    const commands = firstOptionValues(lines, '127.0.0.3');
    expect(commands.length).toBeGreaterThan(0);
    for (const first of commands) {
      expect(first.get('stricthostkeychecking')).toBe('yes');
      expect(first.get('userknownhostsfile')).toBe(state.paths.knownHosts);
      expect(first.get('globalknownhostsfile')).toBe('/dev/null');
      expect(first.get('hostkeyalias')).toBe('compute001');
      expect(first.get('controlpath')!.startsWith(`${runDir}/`)).toBe(true);
    }
    const exec = lines.filter((l) => l.startsWith('<127.0.0.3> SSH: EXEC ssh ')).join('\n');
    expect(exec).not.toMatch(/UserKnownHostsFile=\/dev\/null/);
  });
});
