/**
 * The OpenStack code path end to end: herd talks to the fake OpenStack cloud (test/fakes/openstack)
 * over Keystone, Nova, Neutron and Glance; for each server the fake spawns, a node farm boots a real
 * node at its fixed IP with its key pair's public key and its user data (what a cloud image with
 * cloud-init does). SSH, Ansible and Slurm are real; then resize, and stop leaves nothing herd made.
 */
import { chmod, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenStack, startFakeOpenStack } from '../fakes/openstack/index.js';
import { createNodeFarm, type NodeFarm } from '../helpers/cloud-nodes.js';
import { createHerdHome, type HerdHome, slurmNodes, srunHostnames } from '../helpers/cluster.js';
import { openstackSlurmConfig } from '../helpers/configs.js';
import { canRunLocalNodes } from '../helpers/local-nodes.js';

const BRIDGE = 'hos0';
const SUBNET = '10.120.1.0/24';

function openstackConfig(fake: FakeOpenStack): string {
  return openstackSlurmConfig(fake.authUrl, {
    comment: 'herd end-to-end test: OpenStack through the fake cloud',
    cloud: { user_domain_name: 'Default', project_domain_name: 'Default', region_name: 'RegionOne' },
    login: { image_sudo: 'yes' },
    cluster: {
      image_userdata: 'echo "user data of $(hostname)" > /etc/herd-userdata',
      ssh_address: 'private',
    },
  });
}

describe.skipIf(!canRunLocalNodes)('herd on OpenStack (fake cloud + real nodes at the servers IPs)', () => {
  let fake: FakeOpenStack;
  let farm: NodeFarm;
  let home: HerdHome;

  beforeAll(async () => {
    farm = await createNodeFarm({ bridge: BRIDGE, subnet: SUBNET });
    fake = await startFakeOpenStack({ privateSubnet: SUBNET });
    // The fake reports ACTIVE once the hook's promise settles, as Nova does once the guest has booted.
    fake.onServerSpawning(async (server, userData) => {
      const key = fake.keyPairs().find((k) => k.name === server.key_name);
      if (!key) throw new Error(`${server.name} has no key pair`);
      const ip = server.addresses['private']?.[0]?.addr;
      if (!ip) throw new Error(`${server.name} has no fixed IP`);
      await farm.boot({
        id: server.id,
        hostname: server.name,
        ip,
        user: 'debian',
        publicKey: key.public_key,
        userdata: userData === undefined ? undefined : Buffer.from(userData, 'base64').toString('utf8'),
      });
    });
    fake.onServerDeleted((server) => farm.destroy(server.id));
    home = await createHerdHome({ bridge: BRIDGE, subnet: SUBNET, config: openstackConfig(fake) });
    // The config holds (test) credentials: keep it private, as herd asks users to.
    await chmod(home.config, 0o600);
  });

  afterAll(async () => {
    await home?.destroy();
    await fake?.stop();
    await farm?.teardown();
  });

  const sinfo = () => slurmNodes(home);
  /** The cluster's id, from its state file: on every resource herd creates for it. */
  const clusterId = async () =>
    (JSON.parse(await readFile(`${home.storage}/slurm.json`, 'utf8')) as { id: string }).id;

  it('starts 1+2 servers and configures a working Slurm', async () => {
    const start = await home.herd(['start', 'slurm']);
    expect(start.code, start.stdout + start.stderr).toBe(0);
    expect(farm.errors).toEqual([]);
    expect(fake.hookErrors).toEqual([]);
    expect(fake.calls['compute.servers.create']).toBe(3);
    expect(fake.tokensIssued['password']).toBe(1);
    expect(await sinfo()).toEqual(
      new Map([
        ['compute001', 'idle'],
        ['compute002', 'idle'],
      ]),
    );
    expect(await srunHostnames(home, 2)).toEqual(['compute001', 'compute002']);
    // image_userdata reached Nova as user data and ran at first boot (as cloud-init would run it).
    const userdata = await home.herd(['ssh', 'slurm', '--', 'cat', '/etc/herd-userdata']);
    expect(userdata.stdout.trim()).toBe(`user data of slurm-${await clusterId()}-frontend001`);
  });

  it('tags every server with the cluster and its id and keeps its fixed IP', async () => {
    const id = await clusterId();
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    const servers = fake.servers();
    expect(servers.map((s) => s.name).sort()).toEqual([
      `slurm-${id}-compute001`,
      `slurm-${id}-compute002`,
      `slurm-${id}-frontend001`,
    ]);
    for (const s of servers) {
      expect(s.tags).toEqual(['herd:cluster=slurm', `herd:id=${id}`]);
      expect(s.metadata['herd_cluster']).toBe('slurm');
      expect(s.metadata['herd_cluster_id']).toBe(id);
      expect(s.metadata['herd_node']).toBe(s.name.slice(`slurm-${id}-`.length));
      expect(s.key_name).toBe(`herd-slurm-${id}`);
    }
    const nodes = await home.herd(['list-nodes', 'slurm', '-u', '--json']);
    expect(nodes.code, nodes.stderr).toBe(0);
    const state = JSON.parse(nodes.stdout) as {
      nodes: { name: string; state: string; instanceId: string; preferredIp: string }[];
    };
    for (const n of state.nodes) {
      expect(n.state).toBe('ready');
      const server = servers.find((s) => s.id === n.instanceId)!;
      expect(server.name).toBe(`slurm-${id}-${n.name}`);
      expect(n.preferredIp).toBe(server.addresses['private']![0]!.addr);
    }
    const stateFile = await readFile(`${home.storage}/slurm.json`, 'utf8');
    expect(stateFile).not.toContain('secret');
  });

  it('grows with resize -a 1:compute and shrinks back with resize -r', async () => {
    const grow = await home.herd(['resize', 'slurm', '-a', '1:compute']);
    expect(grow.code, grow.stdout + grow.stderr).toBe(0);
    expect((await sinfo()).get('compute003')).toBe('idle');
    expect(fake.servers()).toHaveLength(4);

    const shrink = await home.herd(['resize', 'slurm', '-r', '1:compute', '--yes']);
    expect(shrink.code, shrink.stdout + shrink.stderr).toBe(0);
    expect(shrink.stdout).toContain('Removed: compute003');
    expect([...(await sinfo()).keys()].sort()).toEqual(['compute001', 'compute002']);
    expect(fake.servers().map((s) => s.name)).not.toContain(`slurm-${await clusterId()}-compute003`);
  });

  it('stop deletes every server and what herd created for the cluster', async () => {
    const stop = await home.herd(['stop', 'slurm', '--yes']);
    expect(stop.code, stop.stdout + stop.stderr).toBe(0);
    expect(fake.servers()).toEqual([]);
    expect(fake.ports()).toEqual([]);
    expect(fake.floatingIps()).toEqual([]);
    expect(fake.volumes()).toEqual([]);
    expect(fake.keyPairs()).toEqual([]);
    expect(fake.securityGroups().map((g) => g.name)).toEqual(['default']);
    expect(farm.ids()).toEqual([]);
    const list = await home.herd(['list', '--json']);
    expect(JSON.parse(list.stdout).clusters).toEqual([]);
  });
});
