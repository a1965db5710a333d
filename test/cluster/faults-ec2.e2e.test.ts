/**
 * The fault matrix on EC2: moto_server behind the fault proxy, a node farm booting a real node at each
 * running instance's private IP (see test/helpers/fault-matrix.ts for what each case checks). Kill
 * points are requests arriving at the proxy (dropped, so EC2 never sees them, or answered by moto and
 * then dropped, so herd never sees the answer), progress lines and the state file.
 */

import { chmod } from 'node:fs/promises';
import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { createNodeFarm, type MotoWatcher, type NodeFarm, watchMoto } from '../helpers/cloud-nodes.js';
import { createHerdHome, type HerdHome } from '../helpers/cluster.js';
import { ec2SlurmConfig } from '../helpers/configs.js';
import { type FaultProxy, killAtAction, startFaultProxy } from '../helpers/ec2-fault-proxy.js';
import {
  type Arm,
  ansibleProcessesUnder,
  defineMatrix,
  killOnOutput,
  type MatrixCase,
  type MatrixCloud,
} from '../helpers/fault-matrix.js';
import { killSpawnedHerds } from '../helpers/herd-process.js';
import { canRunLocalNodes } from '../helpers/local-nodes.js';
import { type MotoServer, startMoto } from '../helpers/moto.js';

const BRIDGE = 'hid2';
const VPC = '10.102.0.0/16';
const SUBNET = '10.102.1.0/24';
const CLUSTER = 'fme';

function config(url: string, subnetId: string): string {
  return ec2SlurmConfig(url, {
    comment: 'herd fault matrix: EC2 through moto behind the fault proxy',
    name: CLUSTER,
    subnetId,
    computeNodes: 1,
    cluster: { ssh_address: 'private' },
    // A resume that cannot reach a node fails in 2 minutes, not 10.
    after: { start_timeout: 120 },
  });
}

let proxy: FaultProxy;

/** Kills herd when `action` reaches the proxy (see killAtAction); `when` picks the call (default: the first). */
function killAt(action: string, phase: 'before' | 'after', when: () => boolean = () => true): Arm {
  return (run) => {
    killAtAction(proxy, run, action, phase, when);
    return () => proxy.clear();
  };
}

/** Kills herd at its first DescribeInstances after `launches` RunInstances (the first poll). */
function killAtPoll(launches: number): Arm {
  return (run, cloud) => {
    let launched = 0;
    proxy.onAction('RunInstances', 'after', () => {
      launched++;
    });
    return killAt('DescribeInstances', 'before', () => launched >= launches)(run, cloud);
  };
}

const CASES: MatrixCase[] = [
  // The intent is saved before the kind's network is looked up (DescribeSubnets): nothing launched yet.
  { command: 'start', phase: 'intent saved', arm: killAt('DescribeSubnets', 'before') },
  { command: 'start', phase: 'create call sent (answer lost)', arm: killAt('RunInstances', 'after') },
  // herd saves the instance ids the create call returned, then polls: one kill point for both.
  { command: 'start', phase: 'create returned (ids saved), first poll', arm: killAtPoll(2) },
  { command: 'start', phase: 'SSH wait', arm: killOnOutput(/running, waiting for SSH/) },
  {
    command: 'start',
    phase: 'Ansible running',
    arm: killOnOutput(/(TASK \[[^\n]*\n[\s\S]*){4}/),
    setup: true,
  },
  { command: 'resize', phase: 'intent saved', arm: killAt('DescribeSubnets', 'before') },
  { command: 'resize', phase: 'create call sent (answer lost)', arm: killAt('RunInstances', 'after') },
  { command: 'resize', phase: 'SSH wait', arm: killOnOutput(/compute\d+: running, waiting for SSH/) },
  {
    command: 'stop',
    phase: 'intent saved (nodes terminating)',
    arm: killAt('TerminateInstances', 'before'),
  },
  {
    command: 'stop',
    phase: 'terminate sent (answer lost)',
    arm: killAt('TerminateInstances', 'after'),
  },
];

describe.skipIf(!canRunLocalNodes)('fault matrix: EC2 (moto + real nodes at the instances IPs)', () => {
  let moto: MotoServer;
  let ec2: EC2Client;
  let farm: NodeFarm;
  let watcher: MotoWatcher;
  let home: HerdHome;
  let cloud: MatrixCloud;

  const tagged = [{ Name: 'tag:herd:cluster', Values: [CLUSTER] }];
  async function liveInstances(): Promise<string[]> {
    const out = await ec2.send(new DescribeInstancesCommand({ Filters: tagged }));
    return (out.Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .filter((i) => !['terminated', 'shutting-down'].includes(i.State?.Name ?? ''))
      .map((i) => i.InstanceId!);
  }
  async function leftovers(): Promise<string[]> {
    const [groups, keys, addresses] = await Promise.all([
      ec2.send(new DescribeSecurityGroupsCommand({ Filters: tagged })),
      ec2.send(new DescribeKeyPairsCommand({ Filters: tagged })),
      ec2.send(new DescribeAddressesCommand({ Filters: tagged })),
    ]);
    return [
      ...(await liveInstances()).map((id) => `instance ${id}`),
      ...(groups.SecurityGroups ?? []).map((g) => `security group ${g.GroupName}`),
      ...(keys.KeyPairs ?? []).map((k) => `key pair ${k.KeyName}`),
      ...(addresses.Addresses ?? []).map((a) => `Elastic IP ${a.PublicIp}`),
      ...ansibleProcessesUnder(home.storage).map((pid) => `ansible-playbook ${pid}`),
    ];
  }

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy(moto.url);
    ec2 = new EC2Client({
      endpoint: moto.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const { CreateVpcCommand, CreateSubnetCommand } = await import('@aws-sdk/client-ec2');
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: VPC }));
    const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: SUBNET }));
    const subnetId = subnet.Subnet!.SubnetId!;
    farm = await createNodeFarm({ bridge: BRIDGE, subnet: SUBNET });
    watcher = watchMoto(farm, { url: moto.url, subnetId, user: 'admin' });
    home = await createHerdHome({ bridge: BRIDGE, subnet: SUBNET, config: config(proxy.url, subnetId) });
    await chmod(home.config, 0o600);
    cloud = {
      home,
      cluster: CLUSTER,
      user: 'admin',
      leftovers,
      // Terminated instances lose their node (the farm's watcher): wait until those are gone.
      settle: async () => {
        const live = new Set(await liveInstances());
        for (let i = 0; i < 200 && farm.ids().some((id) => !live.has(id)); i++)
          await new Promise((r) => setTimeout(r, 100));
        await farm.removed();
      },
    };
  });

  afterAll(async () => {
    await killSpawnedHerds();
    await home?.destroy();
    await watcher?.stop();
    await farm?.teardown();
    ec2?.destroy();
    await proxy?.stop();
    await moto?.stop();
  });

  defineMatrix({
    cloud: () => cloud,
    cases: CASES,
    liveInstances,
    check: () => expect(farm.errors).toEqual([]),
  });
});
