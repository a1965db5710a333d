/**
 * The real path of a setup run, short of real nodes: herd's inventory, known_hosts and
 * ANSIBLE_SSH_ARGS drive ansible-playbook over the OpenSSH client (multiplexed, pinned keys,
 * per-host HostKeyAlias) to an in-process SSH server that runs commands on this machine.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnsibleError } from '../../src/errors.js';
import { buildAnsibleInvocation, runAnsible } from '../../src/setup/ansible.js';
import { renderInventory, writeInventory } from '../../src/setup/inventory.js';
import { generateKeyPair } from '../../src/ssh/keys.js';
import { writeKnownHosts } from '../../src/ssh/known-hosts.js';
import type { ClusterState } from '../../src/state/types.js';
import { clusterState, node, template } from '../ssh/fixtures.js';
import { type SshTestServer, startSshTestServer, testKeyPair } from '../ssh/ssh-test-server.js';

let dir: string;
let controlDir: string;
let server: SshTestServer;
let state: ClusterState;

const playbook = `
- hosts: all
  gather_facts: false
  become: false
  tasks:
    - name: Python answers
      ping:
    - name: Write a marker
      copy:
        content: "{{ inventory_hostname }} {{ ansible_host }}\\n"
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

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-ansible-ssh-'));
  controlDir = await mkdtemp('/tmp/herd-cp-t');
  const keys = await generateKeyPair(join(dir, 'cluster.key'), 'mycluster');
  server = await startSshTestServer({ authorizedKeys: [keys.publicKey], hosts: ['127.0.0.1', '127.0.0.3'] });
  await writeFile(join(dir, 'site.yml'), playbook);
  const base = template();
  const tpl = template({
    setup: {
      ...base.setup,
      playbookPath: join(dir, 'site.yml'),
      ansibleSettings: { ansible_port: server.port, ansible_python_interpreter: '/usr/bin/python3' },
      globalVars: { marker_dir: dir },
    },
    login: { ...base.login, imageUser: 'root' },
  });
  // Two nodes on two loopback addresses of the same server: one host key, two node names.
  state = {
    ...clusterState(
      [
        node('frontend001', '127.0.0.1', { hostKey: server.hostKey }),
        node('compute001', '127.0.0.3', { hostKey: server.hostKey }),
      ],
      tpl,
    ),
    paths: {
      privateKey: keys.privatePath,
      publicKey: keys.publicPath,
      knownHosts: join(dir, 'cluster.known_hosts'),
      inventory: join(dir, 'cluster.inventory'),
    },
  };
  await writeInventory(state.paths.inventory, renderInventory(state));
});

afterAll(async () => {
  // Dropping the connections ends the ControlPersist masters OpenSSH left behind.
  await server?.close();
  await rm(dir, { recursive: true, force: true });
  await rm(controlDir, { recursive: true, force: true });
});

async function runSetup(extraArgs: string[] = [], controlPathDir = controlDir): Promise<string[]> {
  const lines: string[] = [];
  const invocation = buildAnsibleInvocation({ state, env: {}, controlDir: controlPathDir, extraArgs });
  await runAnsible({
    ...invocation,
    controlDir: controlPathDir,
    cluster: state.name,
    onLine: (l) => lines.push(l),
  });
  return lines;
}

describe('ansible-playbook through herd ssh settings', () => {
  it('connects to every node with the pinned keys looked up by node name', async () => {
    await writeKnownHosts(state.paths.knownHosts, state.nodes);
    const lines = await runSetup();
    expect(lines.find((l) => l.startsWith('frontend001'))).toMatch(/ok=2 .*failed=0/);
    expect(lines.find((l) => l.startsWith('compute001'))).toMatch(/ok=2 .*failed=0/);
    expect(await readFile(join(dir, 'frontend001'), 'utf8')).toBe('frontend001 127.0.0.1\n');
    expect(await readFile(join(dir, 'compute001'), 'utf8')).toBe('compute001 127.0.0.3\n');
    // Pipelining: modules went over stdin, no sftp/scp transfer, and the multiplexed masters served them.
    expect(server.commands.some((c) => c.includes('python3'))).toBe(true);
  });

  it('fails with the host and task named when a task fails', async () => {
    const error = (await runSetup(['-e', 'fail_workers=true']).catch((e: unknown) => e)) as AnsibleError;
    expect(error).toBeInstanceOf(AnsibleError);
    expect(error.failedHosts).toEqual(['compute001']);
    expect(error.message).toContain('  - compute001: task "Worker check": worker refused');
  });

  it('refuses a node whose key differs from the pinned one', async () => {
    const other = ssh2.utils.parseKey(testKeyPair().public) as ssh2.ParsedKey;
    await writeKnownHosts(state.paths.knownHosts, [
      { name: 'frontend001', hostKey: server.hostKey },
      { name: 'compute001', hostKey: `ssh-ed25519 ${other.getPublicSSH().toString('base64')}` },
    ]);
    // Fresh control sockets: a live master from the runs above would skip the key exchange.
    const freshControlDir = await mkdtemp('/tmp/herd-cp-t');
    try {
      const error = (await runSetup([], freshControlDir).catch((e: unknown) => e)) as AnsibleError;
      expect(error).toBeInstanceOf(AnsibleError);
      expect(error.failedHosts).toEqual(['compute001']);
      expect(error.message).toMatch(
        /^ {2}- compute001: unreachable in task "Python answers": host key changed: the node presented an SSH host key other than the one herd pinned, so ssh refused it$/m,
      );
    } finally {
      await rm(freshControlDir, { recursive: true, force: true });
    }
  });
});
