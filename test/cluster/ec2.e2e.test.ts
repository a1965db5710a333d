/**
 * The EC2 code path end to end: herd talks to moto_server (a real EC2 API server) for key pair,
 * security group, RunInstances, DescribeInstances and TerminateInstances; a node farm boots a real
 * node at each running instance's private IP with its key pair's public key (what an EC2 image does),
 * so SSH probing, Ansible and Slurm are real. Then resize and stop; moto keeps nothing running.
 */
import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeFarm, type MotoWatcher, type NodeFarm, watchMoto } from '../helpers/cloud-nodes.js';
import { createHerdHome, type HerdHome, slurmNodes, srunHostnames } from '../helpers/cluster.js';
import { ec2SlurmConfig } from '../helpers/configs.js';
import { canRunLocalNodes } from '../helpers/local-nodes.js';
import { type MotoServer, startMoto } from '../helpers/moto.js';

const BRIDGE = 'herdec2e0';
const VPC = '10.88.0.0/16';
const SUBNET = '10.88.1.0/24';

function ec2Config(motoUrl: string, subnetId: string): string {
  return ec2SlurmConfig(motoUrl, {
    comment: 'herd end-to-end test: EC2 through moto',
    subnetId,
    login: { user_key_name: 'herd-e2e' },
    cluster: { ssh_address: 'private' },
  });
}

describe.skipIf(!canRunLocalNodes)('herd on EC2 (moto_server + real nodes at the instances IPs)', () => {
  let moto: MotoServer;
  let ec2: EC2Client;
  let farm: NodeFarm;
  let watcher: MotoWatcher;
  let home: HerdHome;

  beforeAll(async () => {
    moto = await startMoto();
    ec2 = new EC2Client({
      endpoint: moto.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: VPC }));
    const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: SUBNET }));
    const subnetId = subnet.Subnet!.SubnetId!;
    farm = await createNodeFarm({ bridge: BRIDGE, subnet: SUBNET });
    watcher = watchMoto(farm, { url: moto.url, subnetId, user: 'admin' });
    home = await createHerdHome({ bridge: BRIDGE, subnet: SUBNET, config: ec2Config(moto.url, subnetId) });
    // The config holds (test) credentials: keep it private, as herd asks users to.
    await chmod(home.config, 0o600);
  });

  afterAll(async () => {
    await home?.destroy();
    await watcher?.stop();
    await farm?.teardown();
    ec2?.destroy();
    await moto?.stop();
  });

  const instances = async (): Promise<Instance[]> => {
    const out = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:herd:cluster', Values: ['slurm'] }] }),
    );
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  };
  const live = async () => (await instances()).filter((i) => i.State?.Name !== 'terminated');
  const sinfo = () => slurmNodes(home);

  it('starts 1+2 nodes through RunInstances and configures a working Slurm', async () => {
    const start = await home.herd(['start', 'slurm']);
    expect(start.code, start.stdout + start.stderr).toBe(0);
    expect(farm.errors).toEqual([]);
    expect(await sinfo()).toEqual(
      new Map([
        ['compute001', 'idle'],
        ['compute002', 'idle'],
      ]),
    );
    expect(await srunHostnames(home, 2)).toEqual(['compute001', 'compute002']);
  });

  it('tags every instance with its name, cluster, node and kind, and knows their ids', async () => {
    const running = await live();
    const { id } = JSON.parse(await readFile(join(home.storage, 'slurm.json'), 'utf8')) as { id: string };
    const tags = running.map((i) => Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value])));
    expect(tags.map((t) => t['Name']).sort()).toEqual([
      `slurm-${id}-compute001`,
      `slurm-${id}-compute002`,
      `slurm-${id}-frontend001`,
    ]);
    for (const t of tags) {
      expect(t['herd:cluster']).toBe('slurm');
      expect(t['herd:cluster-id']).toBe(id);
      expect(t['herd:kind']).toBe(t['herd:node']?.replace(/\d+$/, ''));
      expect(t['herd:run']).toBeTruthy();
    }
    const nodes = await home.herd(['list-nodes', 'slurm', '-u', '--json']);
    expect(nodes.code, nodes.stderr).toBe(0);
    const state = JSON.parse(nodes.stdout) as {
      nodes: { name: string; instanceId: string; state: string; preferredIp: string }[];
    };
    expect(new Set(state.nodes.map((n) => n.instanceId))).toEqual(new Set(running.map((i) => i.InstanceId)));
    for (const n of state.nodes) {
      expect(n.state).toBe('ready');
      expect(n.preferredIp.startsWith('10.88.1.')).toBe(true);
    }
  });

  it('grows with resize -a 1:compute and shrinks back with resize -r', async () => {
    const grow = await home.herd(['resize', 'slurm', '-a', '1:compute']);
    expect(grow.code, grow.stdout + grow.stderr).toBe(0);
    expect((await sinfo()).get('compute003')).toBe('idle');
    expect(await live()).toHaveLength(4);

    const shrink = await home.herd(['resize', 'slurm', '-r', '1:compute', '--yes']);
    expect(shrink.code, shrink.stdout + shrink.stderr).toBe(0);
    expect(shrink.stdout).toContain('Removed: compute003');
    expect([...(await sinfo()).keys()].sort()).toEqual(['compute001', 'compute002']);
    expect(await live()).toHaveLength(3);
  });

  it('stop terminates every instance and removes what herd created in the account', async () => {
    const stop = await home.herd(['stop', 'slurm', '--yes', '--wait']);
    expect(stop.code, stop.stdout + stop.stderr).toBe(0);
    expect(await live()).toEqual([]);
    const groups = await ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:herd:cluster', Values: ['slurm'] }] }),
    );
    expect(groups.SecurityGroups ?? []).toEqual([]);
    const list = await home.herd(['list', '--json']);
    expect(JSON.parse(list.stdout).clusters).toEqual([]);
  });
});
