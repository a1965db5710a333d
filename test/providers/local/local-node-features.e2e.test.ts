/**
 * Features of local nodes the playbooks rely on: the debian-12-hpc image (Slurm, munge, sshfs
 * baked in), a FUSE mount inside a node, a non-root login user with sudo, image_userdata run once
 * at first boot, and a clear per-node failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { createLocalProvider } from '../../../src/providers/local/index.js';
import type { ClusterRef, NodeStatus, Provider } from '../../../src/providers/types.js';
import { silentLogger } from '../../../src/ui/log.js';
import {
  canRunLocalNodes,
  createLocalTestEnv,
  type LocalTestEnv,
  localTestCloud,
  sshRun,
  waitForSsh,
} from '../../helpers/local-nodes.js';

const USER = 'herdadm';
/** A cluster from before ids: machine names `lpf-<node>`, as such clusters keep using. */
const LPF: ClusterRef = { name: 'lpf', id: undefined };

describe.skipIf(!canRunLocalNodes)('local node features', () => {
  let env: LocalTestEnv;
  let provider: Provider;
  let node: NodeStatus;

  beforeAll(async () => {
    env = await createLocalTestEnv();
    provider = await createLocalProvider(localTestCloud(), { storageDir: env.storageDir, log: silentLogger });
    const result = await provider.createNodes({
      cluster: LPF,
      runId: 'r1',
      template: 'lpf',
      kind: 'frontend',
      nodes: [{ name: 'frontend001', cloudName: 'lpf-frontend001' }],
      settings: {
        image_id: 'debian-12-hpc',
        image_userdata: 'echo "ran at $(date +%s)" >> /root/userdata.log',
      },
      login: { user: USER, publicKey: env.publicKey, keyName: undefined },
    });
    expect(result.failed).toEqual([]);
    node = result.created[0]!;
    await waitForSsh(node.privateIps[0]!, env.privateKey, USER);
  });
  afterAll(async () => {
    await env?.teardown();
  });

  const on = (command: string) => sshRun(node.privateIps[0]!, env.privateKey, command, USER);

  it('creates the login user with passwordless sudo', async () => {
    expect(await on('id -un; sudo -n id -u')).toBe(`${USER}\n0`);
  });

  it('runs image_userdata once at first boot', async () => {
    let log = '';
    for (let i = 0; i < 50 && log === ''; i++) {
      log = await on('sudo cat /root/userdata.log 2>/dev/null || true');
      if (log === '') await new Promise((r) => setTimeout(r, 200));
    }
    expect(log).toMatch(/^ran at \d+$/);
  });

  it('does not run image_userdata again when the node boots a second time', async () => {
    await provider.stopNodes!(LPF, [node.instanceId]);
    await provider.startNodes!(LPF, [node.instanceId]);
    await waitForSsh(node.privateIps[0]!, env.privateKey, USER);
    await on('systemctl is-system-running --wait >/dev/null 2>&1 || true');
    expect((await on('sudo cat /root/userdata.log')).split('\n')).toHaveLength(1);
  });

  it('has Slurm, munge and sshfs installed, Slurm daemons disabled, a munge key of its own', async () => {
    const out = await on(
      'ls /usr/sbin/slurmd /usr/sbin/slurmctld /usr/bin/sinfo /usr/bin/sshfs; systemctl is-enabled slurmd slurmctld || true; sudo test -s /etc/munge/munge.key && echo key; systemctl is-active munge',
    );
    expect(out).toContain('/usr/sbin/slurmd');
    expect(out).toContain('/usr/bin/sshfs');
    expect(out).toContain('disabled\ndisabled');
    expect(out).toContain('key\nactive');
  });

  it('mounts a FUSE filesystem (sshfs) inside the node', async () => {
    const script = [
      'set -e',
      'ssh-keygen -q -t ed25519 -N "" -f /root/.ssh/loop',
      'cat /root/.ssh/loop.pub >> /root/.ssh/authorized_keys',
      'mkdir -p /mnt/loop',
      'sshfs -o IdentityFile=/root/.ssh/loop,StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null root@127.0.0.1:/etc /mnt/loop',
      'grep -c fuse.sshfs /proc/mounts',
      'cat /mnt/loop/hostname',
      'fusermount3 -u /mnt/loop',
    ].join('\n');
    expect(await on(`sudo bash -c '${script}'`)).toBe('1\nfrontend001');
  });

  it('rejects an unknown image_id with the known ones', async () => {
    const request = {
      cluster: LPF,
      runId: 'r2',
      template: 'lpf',
      kind: 'compute',
      nodes: [{ name: 'compute001', cloudName: 'lpf-compute001' }],
      settings: { image_id: 'centos-7' },
      login: { user: 'root', publicKey: env.publicKey, keyName: undefined },
    };
    const error = await provider.createNodes(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(/centos-7.*debian-12, debian-12-hpc/);
  });

  it('reports a node that cannot start in `failed` with the reason, leaving nothing behind', async () => {
    const request = {
      cluster: LPF,
      runId: 'r3',
      template: 'lpf',
      kind: 'compute',
      nodes: [{ name: 'compute001', cloudName: 'lpf-compute001' }],
      settings: {},
      login: { user: 'Not A User', publicKey: env.publicKey, keyName: undefined },
    };
    const result = await provider.createNodes(request);
    expect(result.created).toEqual([]);
    expect(result.failed[0]!.name).toBe('compute001');
    expect(result.failed[0]!.error.message).toContain('Not A User');
    expect((await provider.findNodes(LPF)).map((n) => n.name)).toEqual(['frontend001']);
  });
});
