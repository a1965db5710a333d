import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderInventory, writeInventory } from '../../src/setup/inventory.js';
import { clusterState, kind, node, template } from '../ssh/fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-inv-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tpl = template({
  kinds: [
    kind('frontend', ['slurm_master', 'slurm_submit'], { slurm_role: 'head' }),
    kind('compute', ['slurm_worker'], { tricky: `it's "x" = y # z`, spaced: 'a b', num: '5', flag: 'True' }),
    kind('spare', []),
  ],
  setup: {
    ...template().setup,
    ansibleSettings: {
      ansible_python_interpreter: '/usr/bin/python3',
      ansible_ssh_extra_args: '-o Compression=yes',
    },
    globalVars: { site: 'lab one', slurm_role: 'overridden-by-kind' },
  },
});
const state = clusterState(
  [
    node('compute002', '10.77.0.12'),
    node('frontend001', '10.77.0.10'),
    node('compute001', '10.77.0.11'),
    node('compute003', undefined),
    node('compute004', '10.77.0.14', { state: 'running' }),
    node('spare001', '10.77.0.20'),
  ],
  tpl,
);

/** herd's own ssh arguments for a node (no run dir: no connection sharing). */
function herdSsh(name: string): string {
  return [
    '-o ControlMaster=no -o ControlPath=none -o IdentitiesOnly=yes',
    '-o UserKnownHostsFile=/var/lib/herd/mycluster.known_hosts -o GlobalKnownHostsFile=/dev/null',
    '-o KnownHostsCommand=none -o StrictHostKeyChecking=yes -o CheckHostIP=no -o UpdateHostKeys=no',
    `-o VerifyHostKeyDNS=no -o HostKeyAlias=${name}`,
  ].join(' ');
}

/** The start of every host line: what herd sets itself. */
function owned(name: string, ip: string): string {
  return `${name} ansible_host=${ip} ansible_user=debian ansible_connection=ssh ansible_ssh_args='${herdSsh(name)}'`;
}

describe('renderInventory', () => {
  const text = renderInventory(state);

  it('writes one host line per ready node and one group section per Ansible group', () => {
    const compute = ` ansible_python_interpreter=/usr/bin/python3 ansible_ssh_extra_args='-o Compression=yes' site='lab one' slurm_role=overridden-by-kind tricky='it'"'"'s "x" = y # z' spaced='a b' num=5 flag=True`;
    expect(text).toBe(
      [
        '# Ansible inventory of herd cluster "mycluster" (template slurm); herd rewrites this file.',
        `${owned('compute001', '10.77.0.11')}${compute}`,
        `${owned('compute002', '10.77.0.12')}${compute}`,
        `${owned('frontend001', '10.77.0.10')} ansible_python_interpreter=/usr/bin/python3 ansible_ssh_extra_args='-o Compression=yes' site='lab one' slurm_role=head`,
        `${owned('spare001', '10.77.0.20')} ansible_python_interpreter=/usr/bin/python3 ansible_ssh_extra_args='-o Compression=yes' site='lab one' slurm_role=overridden-by-kind`,
        '',
        '[slurm_master]',
        'frontend001',
        '',
        '[slurm_submit]',
        'frontend001',
        '',
        '[slurm_worker]',
        'compute001',
        'compute002',
        '',
      ].join('\n'),
    );
  });

  it('never contains a cloud setting', () => {
    expect(text).not.toContain('S3CR3T');
    expect(text).not.toContain('10.77.0.0/24');
  });

  it('reads back through Ansible with the exact values, groups and only ready nodes', async () => {
    const path = join(dir, 'inventory');
    await writeInventory(path, text);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toBe(text);
    const { stdout } = await execa('ansible-inventory', ['-i', path, '--list'], {
      env: { ANSIBLE_NOCOLOR: '1' },
    });
    const inventory = JSON.parse(stdout);
    const hostvars = inventory._meta.hostvars;
    expect(Object.keys(hostvars).sort()).toEqual(['compute001', 'compute002', 'frontend001', 'spare001']);
    expect(hostvars.compute001).toEqual({
      ansible_host: '10.77.0.11',
      ansible_user: 'debian',
      ansible_connection: 'ssh',
      ansible_ssh_args: herdSsh('compute001'),
      ansible_python_interpreter: '/usr/bin/python3',
      ansible_ssh_extra_args: '-o Compression=yes',
      site: 'lab one',
      slurm_role: 'overridden-by-kind',
      tricky: `it's "x" = y # z`,
      spaced: 'a b',
      // Ansible's INI parser reads Python literals, as with any INI inventory.
      num: 5,
      flag: true,
    });
    expect(hostvars.frontend001.slurm_role).toBe('head');
    expect(inventory.slurm_master.hosts).toEqual(['frontend001']);
    expect(inventory.slurm_worker.hosts).toEqual(['compute001', 'compute002']);
    // A node of a kind without groups is still in `all`, not left in `ungrouped` by accident.
    expect(inventory.ungrouped?.hosts ?? ['spare001']).toEqual(['spare001']);
  });

  it("hands the cluster section's free-form keys to Ansible as the dict elasticluster, as ElastiCluster does", async () => {
    const extra = { allow_reboot: 'yes', project_code: `HPC "42" it's` };
    const withExtra = template({ cluster: { ...template().cluster, extra } });
    const path = join(dir, 'inventory-extra');
    await writeInventory(path, renderInventory(clusterState([node('frontend001', '10.0.0.1')], withExtra)));
    const { stdout } = await execa('ansible-inventory', ['-i', path, '--host', 'frontend001'], {
      env: { ANSIBLE_NOCOLOR: '1' },
    });
    expect(JSON.parse(stdout).elasticluster).toEqual(extra);
    expect(text).not.toContain('elasticluster');
  });

  it('rejects a value with a line break, naming the variable', () => {
    const bad = template({ kinds: [kind('frontend', ['g'], { motd: 'a\nb' })] });
    expect(() => renderInventory(clusterState([node('frontend001', '10.0.0.1')], bad))).toThrow(
      /motd: contains a line break/,
    );
  });
});
