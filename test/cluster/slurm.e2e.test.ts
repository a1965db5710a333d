/**
 * The main job, end to end with real everything: herd start on the local provider (systemd-nspawn nodes),
 * real SSH, real ansible-playbook with the bundled playbooks, real Slurm jobs; then resize and stop.
 */
import { appendFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHerd } from '../helpers/cli.js';
import {
  createHerdHome,
  type HerdHome,
  localConfig,
  NOTHING_LEFT,
  nspawnPidsUnder,
  parseSinfo,
  srunHostnames,
} from '../helpers/cluster.js';
import { canRunLocalNodes } from '../helpers/local-nodes.js';

const BRIDGE = 'herde2e0';
const SUBNET = '10.80.0.0/24';

describe.skipIf(!canRunLocalNodes)('herd start slurm: a working Slurm cluster of real nodes', () => {
  let home: HerdHome;
  beforeAll(async () => {
    home = await createHerdHome({
      bridge: BRIDGE,
      subnet: SUBNET,
      config: localConfig({ bridge: BRIDGE, subnet: SUBNET }),
    });
  });
  afterAll(async () => {
    await home?.destroy();
  });

  const sinfo = async () => {
    const r = await home.herd(['ssh', 'slurm', '--', 'sinfo', '-h', '-N', '-o', '%N_%t']);
    expect(r.code, r.stderr).toBe(0);
    return parseSinfo(r.stdout.replace(/_/g, ' '));
  };

  it('starts 1 frontend + 2 compute nodes and configures Slurm', async () => {
    const start = await home.herd(['start', 'slurm']);
    expect(start.code, start.stdout + start.stderr).toBe(0);
    expect(start.stdout).toContain('Frontend node:    frontend001');
    const nodes = await sinfo();
    expect(nodes).toEqual(
      new Map([
        ['compute001', 'idle'],
        ['compute002', 'idle'],
      ]),
    );
  });

  it('runs a job on both compute nodes', async () => {
    const r = await home.herd(['ssh', 'slurm', '--', 'srun', '-N2', 'hostname']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual(['compute001', 'compute002']);
  });

  it('shares /home: a file written on a compute node is visible on the frontend', async () => {
    const token = `herd-${Date.now()}`;
    const write = await home.herd([
      'ssh',
      'slurm',
      '-n',
      'compute002',
      '--',
      `echo ${token} > /home/shared-test.txt`,
    ]);
    expect(write.code, write.stderr).toBe(0);
    const read = await home.herd(['ssh', 'slurm', '--', 'cat', '/home/shared-test.txt']);
    expect(read.stdout.trim()).toBe(token);
  });

  it('transfers files with sftp to the frontend', async () => {
    const r = await runHerd(['sftp', 'slurm', '--', '-b', '-'], {
      env: home.env,
      input: 'put /etc/os-release /tmp/herd-sftp-test\nls -l /tmp/herd-sftp-test\n',
    });
    expect(r.code, r.stderr).toBe(0);
    const check = await home.herd(['ssh', 'slurm', '--', 'cat', '/tmp/herd-sftp-test']);
    expect(check.stdout).toContain('VERSION_ID=');
  });

  it('lists the cluster and its nodes, also as JSON', async () => {
    const list = await home.herd(['list', '--json']);
    const parsed = JSON.parse(list.stdout) as { clusters: { name: string; nodes: Record<string, number> }[] };
    expect(parsed.clusters).toMatchObject([{ name: 'slurm', nodes: { frontend: 1, compute: 2 } }]);
    const nodes = await home.herd(['list-nodes', 'slurm', '-u', '--json']);
    const state = JSON.parse(nodes.stdout) as {
      nodes: { name: string; state: string; preferredIp: string }[];
    };
    expect(state.nodes.map((n) => [n.name, n.state])).toEqual([
      ['frontend001', 'ready'],
      ['compute001', 'ready'],
      ['compute002', 'ready'],
    ]);
    for (const n of state.nodes) expect(n.preferredIp.startsWith('10.80.0.')).toBe(true);
  });

  it('skips a setup re-run on the unchanged cluster, saying so; --json says setupRan: false', async () => {
    const r = await home.herd(['setup', 'slurm']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^setup: nothing changed since the last run \(3 node\(s\) checked in [0-9.]+ s\); --force runs Ansible anyway\.$/m,
    );
    const json = await home.herd(['setup', 'slurm', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'slurm', setupRan: false });
  });

  it('grows with resize -a 1:compute to 3 idle nodes, the old workers given only the node list; jobs span them', async () => {
    const r = await home.herd(['resize', 'slurm', '-a', '1:compute']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // The whole setup on the master and the new node; the two old workers held the last full run's mark.
    expect(r.stdout + r.stderr).toContain('Configure 2 node(s) with Ansible (the node list only on 2 more)');
    expect(await sinfo()).toEqual(
      new Map([
        ['compute001', 'idle'],
        ['compute002', 'idle'],
        ['compute003', 'idle'],
      ]),
    );
    expect(await srunHostnames(home, 3)).toEqual(['compute001', 'compute002', 'compute003']);
    // An old worker knows the new node by name.
    const hosts = await home.herd([
      'ssh',
      'slurm',
      '-n',
      'compute001',
      '--',
      'getent',
      'hosts',
      'compute003',
    ]);
    expect(hosts.code, hosts.stderr).toBe(0);
    expect(hosts.stdout).toMatch(/^10\.80\.0\.\d+\s+compute003$/m);
    // ... and its host key (the new node's from its facts), and the old workers know each other by the key herd
    // pinned (their facts were not gathered in this run).
    const known = await home.herd([
      'ssh',
      'slurm',
      '-n',
      'compute001',
      '--',
      'cat',
      '/etc/ssh/ssh_known_hosts',
    ]);
    expect(known.code, known.stderr).toBe(0);
    for (const node of ['compute002', 'compute003', 'frontend001']) {
      expect(known.stdout).toMatch(new RegExp(`^${node},10\\.80\\.0\\.\\d+ ssh-ed25519 \\S+$`, 'm'));
    }
  });

  it('shrinks with resize -r 1:compute to 2 nodes, removing the highest-numbered one, narrowed again', async () => {
    const r = await home.herd(['resize', 'slurm', '-r', '1:compute', '--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Removed: compute003');
    // Narrowed again: the grow above recorded its digest on every node, the workers it refreshed included (the
    // forced re-run below finds nothing to change on any of them).
    expect(r.stdout + r.stderr).toContain('Configure 1 node(s) with Ansible (the node list only on 2 more)');
    expect(await sinfo()).toEqual(
      new Map([
        ['compute001', 'idle'],
        ['compute002', 'idle'],
      ]),
    );
    const left = await home.leftovers();
    const dir = home.nodeDir('slurm');
    expect(dir).toMatch(/^slurm-[0-9a-f]{8}$/);
    expect(left.nodeDirs.sort()).toEqual([`${dir}/compute001`, `${dir}/compute002`, `${dir}/frontend001`]);
  });

  it('re-runs setup with --force on the unchanged cluster with no changes (Ansible output streamed at -v)', async () => {
    const r = await home.herd(['setup', 'slurm', '--force', '-v']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const recap = [...r.stderr.matchAll(/^\s*(\S+)\s*:\s*ok=\d+\s+changed=(\d+)/gm)].map((m) => [m[1], m[2]]);
    expect(recap.map(([host]) => host).sort()).toEqual(['compute001', 'compute002', 'frontend001']);
    for (const [host, changed] of recap) expect(changed, `${host} changed`).toBe('0');
  });

  it('runs setup again after a setup variable changed in the config', async () => {
    // A running cluster takes only secrets (and the cloud section) from the config, the rest from its state:
    // a variable named like a token is one.
    await appendFile(home.config, '\n[setup/slurm]\nglobal_var_herd_e2e_token=changed\n');
    const r = await home.herd(['setup', 'slurm', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'slurm', setupRan: true });
  });

  it('stop refuses without --yes when not on a terminal, then removes everything', async () => {
    const refused = await home.herd(['stop', 'slurm']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('herd: error [UsageError]: ');
    expect(refused.stderr).toContain('--yes');
    const before = await home.leftovers();
    expect(before.pids.length).toBe(3);

    const stop = await home.herd(['stop', 'slurm', '--yes']);
    expect(stop.code, stop.stdout + stop.stderr).toBe(0);
    expect(await home.leftovers()).toEqual(NOTHING_LEFT);
    // The PIDs seen before are no systemd-nspawn of this cluster any more (a PID may be an exiting zombie
    // for a moment, or reused by an unrelated process, so look at what it runs, not whether it exists).
    for (const pid of before.pids) expect(nspawnPidsUnder(home.storage)).not.toContain(pid);
    const list = await home.herd(['list', '--json']);
    expect(JSON.parse(list.stdout).clusters).toEqual([]);
  });
});
