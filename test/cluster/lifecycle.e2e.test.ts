/**
 * Pause, resume and idle auto-stop on real nodes with real Slurm, one cluster for every assertion:
 * `herd start --idle-stop 1` (1 frontend + 2 compute), a file in /home, `herd pause` (every node
 * stopped, commands refused with exit code 3), `herd resume` (same host keys, file still there,
 * `srun -N2` works); then a running job keeps the idle cluster up past its idle time, and once the job
 * is cancelled the cluster powers itself off and `herd resume` brings it back.
 *
 * An open `herd ssh` session keeps the cluster busy while the pause/resume assertions run, so the idle
 * watcher cannot power it off under them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { herdBin } from '../helpers/cli.js';
import {
  createHerdHome,
  type HerdHome,
  localConfig,
  NOTHING_LEFT,
  slurmNodes,
  srunHostnames,
} from '../helpers/cluster.js';
import { canRunLocalNodes } from '../helpers/local-nodes.js';

const BRIDGE = 'hlc0';
const SUBNET = '10.160.0.0/24';
const NODES = ['frontend001', 'compute001', 'compute002'];

interface NodeJson {
  name: string;
  state: string;
  hostKey?: string;
}
interface ListNodesJson {
  paused: { phase: string; by: string } | null;
  nodes: NodeJson[];
}

describe.skipIf(!canRunLocalNodes)('pause, resume and idle auto-stop of a Slurm cluster', () => {
  let home: HerdHome;
  let keepalive: ChildProcess | undefined;
  const hostKeys = new Map<string, string>();

  /** An SSH session to the frontend that lasts until `endSession` (the idle watcher counts it as activity). */
  const openSession = () => {
    keepalive = spawn(process.execPath, [herdBin, 'ssh', 'slurm', '--', 'sleep', '3600'], {
      env: { ...process.env, ...home.env },
      stdio: 'ignore',
      detached: true,
    });
  };
  const endSession = () => {
    // Its own process group: herd and the ssh client it runs.
    if (keepalive?.pid !== undefined && keepalive.exitCode === null) {
      try {
        process.kill(-keepalive.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    keepalive = undefined;
  };

  const listNodes = async (): Promise<ListNodesJson> => {
    const r = await home.herd(['list-nodes', 'slurm', '-u', '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as ListNodesJson;
  };
  const readHostKeys = async () => {
    const keys = new Map<string, string>();
    for (const node of NODES) {
      const r = await home.herd([
        'ssh',
        'slurm',
        '-n',
        node,
        '--',
        'cat',
        '/etc/ssh/ssh_host_ed25519_key.pub',
      ]);
      expect(r.code, r.stderr).toBe(0);
      keys.set(node, r.stdout.trim());
    }
    return keys;
  };

  beforeAll(async () => {
    home = await createHerdHome({
      bridge: BRIDGE,
      subnet: SUBNET,
      config: localConfig({ bridge: BRIDGE, subnet: SUBNET }),
    });
  });
  afterAll(async () => {
    endSession();
    await home?.destroy();
  });

  it('starts 1+2 nodes with --idle-stop 1 and Slurm, and writes a file in /home', async () => {
    const start = await home.herd(['start', 'slurm', '--idle-stop', '1']);
    expect(start.code, start.stdout + start.stderr).toBe(0);
    openSession();
    const write = await home.herd(['ssh', 'slurm', '--', 'echo kept-across-pause > /home/lifecycle.txt']);
    expect(write.code, write.stderr).toBe(0);
    for (const [node, key] of await readHostKeys()) hostKeys.set(node, key);
    expect(hostKeys.get('compute001')).toMatch(/^ssh-ed25519 /);
  });

  it('pause stops every node and keeps their disks; commands that need the nodes exit 3', async () => {
    const pause = await home.herd(['pause', 'slurm', '--json']);
    expect(pause.code, pause.stdout + pause.stderr).toBe(0);
    expect(JSON.parse(pause.stdout)).toMatchObject({
      stopped: NODES,
      terminated: [],
      paused: { phase: 'paused' },
    });
    endSession(); // its node is gone
    const listed = await listNodes();
    expect(listed.nodes.map((n) => [n.name, n.state])).toEqual(NODES.map((n) => [n, 'stopped']));
    expect(listed.paused).toMatchObject({ phase: 'paused', by: 'user' });
    const left = await home.leftovers();
    expect(left.pids).toEqual([]);
    expect(left.nodeDirs.length).toBe(3);
    for (const args of [
      ['ssh', 'slurm', '--', 'true'],
      ['exec', 'slurm', '--', 'true'],
      ['setup', 'slurm'],
      ['resize', 'slurm', '-a', '1:compute'],
    ]) {
      const r = await home.herd(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toContain('paused: run herd resume slurm');
    }
    const list = JSON.parse((await home.herd(['list', '--json'])).stdout) as {
      clusters: { paused: { by: string } | null }[];
    };
    expect(list.clusters[0]?.paused).toMatchObject({ by: 'user' });
  });

  it('resume brings back every node with the same host keys, /home intact and Slurm working', async () => {
    const resume = await home.herd(['resume', 'slurm']);
    expect(resume.code, resume.stdout + resume.stderr).toBe(0);
    openSession();
    expect(resume.stdout).toContain('3 node(s) started');
    expect(await srunHostnames(home, 2)).toEqual(['compute001', 'compute002']);
    const read = await home.herd(['ssh', 'slurm', '-n', 'compute002', '--', 'cat', '/home/lifecycle.txt']);
    expect(read.stdout.trim()).toBe('kept-across-pause');
    expect(await readHostKeys()).toEqual(hostKeys);
    expect(await slurmNodes(home)).toEqual(
      new Map([
        ['compute001', 'idle'],
        ['compute002', 'idle'],
      ]),
    );
  });

  it('a worker whose /home server is not up yet keeps trying to mount it; the health check mounts it too', async () => {
    // compute001 as if it had booted before the frontend: /home unmounted and the frontend's SSH port refused
    // for 10 s. The mount unit must wait (ssh's ConnectionAttempts) instead of failing at once.
    // `umount -l` detaches at once; systemd sees the mount unit go inactive a moment later.
    const unmount = [
      'umount -l /home',
      'for i in $(seq 100); do systemctl --quiet is-active home.mount || break; sleep 0.1; done',
      'if systemctl --quiet is-active home.mount; then echo "home.mount still active" >&2; exit 9; fi',
    ];
    const lateServer = [
      'set -e',
      'fe=$(sed -n "s/^What=root@\\([^:]*\\):.*/\\1/p" /etc/systemd/system/home.mount)',
      ...unmount,
      'ip rule add to "$fe" ipproto 6 dport 22 prohibit priority 100',
      'systemd-run --quiet --on-active=10 ip rule del priority 100',
      'if timeout 3 bash -c ": </dev/tcp/$fe/22" 2>/dev/null; then echo "port 22 not blocked" >&2; exit 9; fi',
      'systemctl start home.mount',
      'findmnt -n -o FSTYPE /home',
    ].join('\n');
    const late = await home.herd(['ssh', 'slurm', '-n', 'compute001', '--', lateServer]);
    expect(late.code, late.stdout + late.stderr).toBe(0);
    expect(late.stdout.trim()).toBe('fuse.sshfs');
    // Unmounted with the server up (a mount that gave up earlier): the health check mounts it, no drain.
    const healthCheck = [
      'set -e',
      ...unmount,
      '/usr/local/sbin/herd-node-health',
      'systemctl is-active home.mount',
      'cat /home/lifecycle.txt',
    ].join('\n');
    const health = await home.herd(['ssh', 'slurm', '-n', 'compute002', '--', healthCheck]);
    expect(health.code, health.stdout + health.stderr).toBe(0);
    expect(health.stdout.trim().split('\n')).toEqual(['active', 'kept-across-pause']);
    expect(await slurmNodes(home)).toEqual(
      new Map([
        ['compute001', 'idle'],
        ['compute002', 'idle'],
      ]),
    );
  });

  it('setup --tags addresses, what resume runs when an address changed, rewrites /etc/hosts; Slurm works', async () => {
    const tamper = await home.herd([
      'ssh',
      'slurm',
      '-n',
      'compute002',
      '--',
      "sed -i '/frontend001/d' /etc/hosts && grep -c frontend001 /etc/hosts",
    ]);
    expect(tamper.stdout.trim()).toBe('0');
    const setup = await home.herd(['setup', 'slurm', '--', '--tags', 'addresses']);
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
    const hosts = await home.herd([
      'ssh',
      'slurm',
      '-n',
      'compute002',
      '--',
      'grep',
      '-c',
      'frontend001',
      '/etc/hosts',
    ]);
    expect(Number(hosts.stdout.trim())).toBeGreaterThan(0);
    expect(await srunHostnames(home, 2)).toEqual(['compute001', 'compute002']);
  });

  it('a running job keeps the cluster up past its idle time', async () => {
    const submit = await home.herd(['ssh', 'slurm', '--', 'sbatch', '--parsable', '--wrap', "'sleep 3600'"]);
    expect(submit.code, submit.stderr).toBe(0);
    const job = submit.stdout.trim();
    expect(job).toMatch(/^\d+$/);
    endSession();
    // 1.5 times the idle time, with no session open: only the job keeps the cluster up.
    await sleep(90_000);
    const listed = await listNodes();
    expect(listed.nodes.map((n) => n.state)).toEqual(['ready', 'ready', 'ready']);
    const cancel = await home.herd(['ssh', 'slurm', '--', 'scancel', job]);
    expect(cancel.code, cancel.stderr).toBe(0);
  });

  it('once idle, the cluster powers itself off; list -u shows it; resume gives a working srun', async () => {
    // `herd list` alone does not ask the cloud: it says how to find out.
    const offline = await home.herd(['list']);
    expect(offline.stdout).toContain('herd list -u shows whether it stopped itself');
    // `herd list -u` asks every cluster's cloud, and records a cluster whose nodes all stopped as paused.
    const pausedByIdle = async () => {
      const r = await home.herd(['list', '-u', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const { clusters } = JSON.parse(r.stdout) as { clusters: { paused: { by: string } | null }[] };
      return clusters[0]?.paused?.by === 'idle';
    };
    const deadline = Date.now() + 420_000;
    while (!(await pausedByIdle()) && Date.now() < deadline) await sleep(10_000);
    const listed = await listNodes();
    // What the watcher said, should it not have powered the cluster off.
    const journal = listed.nodes.some((n) => n.state !== 'stopped')
      ? (await home.herd(['ssh', 'slurm', '--', 'journalctl', '-u', 'herd-idle', '--no-pager', '-n', '30']))
          .stdout
      : '';
    expect(
      listed.nodes.map((n) => [n.name, n.state]),
      journal,
    ).toEqual(NODES.map((n) => [n, 'stopped']));
    expect(listed.paused).toMatchObject({ phase: 'paused', by: 'idle' });
    const list = await home.herd(['list']);
    expect(list.stdout).toContain('paused (idle)');
    expect(list.stdout).not.toContain('herd list -u shows');
    const resume = await home.herd(['resume', 'slurm']);
    expect(resume.code, resume.stdout + resume.stderr).toBe(0);
    expect(await srunHostnames(home, 2)).toEqual(['compute001', 'compute002']);
  });

  it('stop removes the cluster and everything it used', async () => {
    const stop = await home.herd(['stop', 'slurm', '--yes']);
    expect(stop.code, stop.stdout + stop.stderr).toBe(0);
    expect(await home.leftovers()).toEqual(NOTHING_LEFT);
  });
});
