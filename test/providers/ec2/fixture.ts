/**
 * What the EC2 provider tests share: moto_server on a free port with the fault proxy in front of it,
 * an SDK client straight to moto for setting up and checking (not counted by the proxy), a login key
 * pair made by ssh-keygen, and a provider factory with a recording logger.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  DescribeVolumesCommand,
  EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import type { ConfigValue } from '../../../src/config/types.js';
import type { Logger } from '../../../src/log.js';
import { createEc2Provider, type Ec2ProviderOptions } from '../../../src/providers/ec2/index.js';
import type { ClusterRef, Provider } from '../../../src/providers/types.js';
import { cloudNameFor } from '../../../src/state/names.js';
import { type FaultProxy, startFaultProxy } from '../../helpers/ec2-fault-proxy.js';
import { type MotoServer, startMoto } from '../../helpers/moto.js';

/** The cluster most provider tests use: name `lab`, with an id as every new cluster has. */
export const LAB: ClusterRef = { name: 'lab', id: '0a1b2c3d' };

/** An AMI moto knows (Ubuntu, root device /dev/sda1). */
export const AMI = 'ami-1e749f67';

/** moto settings that make it refuse what AWS refuses (unknown AMI, instance type, key pair). */
export const MOTO_VALIDATION = {
  MOTO_ENABLE_AMI_VALIDATION: '1',
  MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION: '1',
  MOTO_ENABLE_KEYPAIR_VALIDATION: '1',
};

/** A logger that keeps every line. */
export interface RecordingLogger extends Logger {
  lines: string[];
}

export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info: ${m}`),
    warn: (m) => lines.push(`warn: ${m}`),
    debug: (m) => lines.push(`debug: ${m}`),
  };
}

/** moto, the proxy, a direct client and a login key. */
export interface Ec2TestEnv {
  moto: MotoServer;
  proxy: FaultProxy;
  /** Straight to moto. */
  ec2: EC2Client;
  publicKey: string;
  otherPublicKey: string;
  /** Forgets every resource, fault rule, hook and count. */
  reset(): Promise<void>;
  provider(
    settings?: Record<string, ConfigValue>,
    options?: Ec2ProviderOptions,
  ): Promise<{ provider: Provider; log: RecordingLogger }>;
  /** Instances tagged with the cluster (all states). */
  instances(cluster: string): Promise<Instance[]>;
  liveInstances(cluster: string): Promise<Instance[]>;
  groups(cluster: string): Promise<string[]>;
  keyPairs(): Promise<string[]>;
  clusterKeyPairs(cluster: string): Promise<string[]>;
  addresses(cluster: string): Promise<{ ip: string; instanceId: string | undefined }[]>;
  volumes(cluster: string): Promise<{ id: string; size: number | undefined; type: string | undefined }[]>;
  /** A VPC and a subnet (with Name tags) in moto; returns their ids. */
  network(
    vpcCidr: string,
    subnets: { cidr: string; name: string }[],
    vpcName?: string,
  ): Promise<{ vpcId: string; subnetIds: string[] }>;
  stop(): Promise<void>;
}

const tagFilter = (cluster: string) => [{ Name: 'tag:herd:cluster', Values: [cluster] }];

export async function startEc2Env(env: Record<string, string> = {}): Promise<Ec2TestEnv> {
  const keyDir = await mkdtemp(join(tmpdir(), 'herd-ec2-test-'));
  for (const name of ['login', 'other'])
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(keyDir, name)]);
  const publicKey = await readFile(join(keyDir, 'login.pub'), 'utf8');
  const otherPublicKey = await readFile(join(keyDir, 'other.pub'), 'utf8');
  await rm(keyDir, { recursive: true, force: true });

  const moto = await startMoto({ env });
  const proxy = await startFaultProxy(moto.url).catch(async (e: unknown) => {
    await moto.stop();
    throw e;
  });
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
  const ec2 = new EC2Client({
    endpoint: moto.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const instances = async (cluster: string) => {
    const out = await ec2.send(new DescribeInstancesCommand({ Filters: tagFilter(cluster) }));
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  };
  return {
    moto,
    proxy,
    ec2,
    publicKey,
    otherPublicKey,
    async reset() {
      proxy.clear();
      await moto.reset();
      proxy.resetCounts();
    },
    async provider(settings = {}, options = {}) {
      const log = recordingLogger();
      const provider = await createEc2Provider(
        {
          name: 'aws',
          provider: 'ec2_boto',
          settings: {
            ec2_region: 'us-east-1',
            ec2_url: proxy.url,
            ec2_access_key: 'testing',
            ec2_secret_key: 'testing',
            ssh_cidr: '0.0.0.0/0',
            request_floating_ip: false,
            ...settings,
          },
        },
        { storageDir: '/nonexistent', log },
        { securityGroupDeleteIntervalMs: 50, securityGroupDeleteTimeoutMs: 2_000, ...options },
      );
      return { provider, log };
    },
    instances,
    liveInstances: async (cluster) =>
      (await instances(cluster)).filter(
        (i) => !['terminated', 'shutting-down'].includes(i.State?.Name ?? ''),
      ),
    async groups(cluster) {
      const out = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: tagFilter(cluster) }));
      return (out.SecurityGroups ?? []).map((g) => g.GroupName!);
    },
    async keyPairs() {
      const out = await ec2.send(new DescribeKeyPairsCommand({}));
      return (out.KeyPairs ?? []).map((k) => k.KeyName!).sort();
    },
    async clusterKeyPairs(cluster) {
      const out = await ec2.send(new DescribeKeyPairsCommand({ Filters: tagFilter(cluster) }));
      return (out.KeyPairs ?? []).map((k) => k.KeyName!);
    },
    async addresses(cluster) {
      const out = await ec2.send(new DescribeAddressesCommand({ Filters: tagFilter(cluster) }));
      return (out.Addresses ?? []).map((a) => ({ ip: a.PublicIp!, instanceId: a.InstanceId }));
    },
    async volumes(cluster) {
      const out = await ec2.send(new DescribeVolumesCommand({ Filters: tagFilter(cluster) }));
      return (out.Volumes ?? []).map((v) => ({ id: v.VolumeId!, size: v.Size, type: v.VolumeType }));
    },
    async network(vpcCidr, subnets, vpcName) {
      const vpc = await ec2.send(
        new CreateVpcCommand({
          CidrBlock: vpcCidr,
          ...(vpcName
            ? { TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: vpcName }] }] }
            : {}),
        }),
      );
      const vpcId = vpc.Vpc!.VpcId!;
      const subnetIds: string[] = [];
      for (const s of subnets) {
        const out = await ec2.send(
          new CreateSubnetCommand({
            VpcId: vpcId,
            CidrBlock: s.cidr,
            TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'Name', Value: s.name }] }],
          }),
        );
        subnetIds.push(out.Subnet!.SubnetId!);
      }
      return { vpcId, subnetIds };
    },
    async stop() {
      ec2.destroy();
      await proxy.stop();
      await moto.stop();
    },
  };
}

/** `n` node specs of `kind` for cluster `cluster`. */
export function nodeSpecs(cluster: ClusterRef, kind: string, n: number, first = 1) {
  return Array.from({ length: n }, (_, i) => {
    const name = `${kind}${String(first + i).padStart(3, '0')}`;
    return { name, cloudName: cloudNameFor(cluster.name, name, cluster.id) };
  });
}

/** Tags of an instance as an object. */
export function tagsOf(instance: { Tags?: { Key?: string; Value?: string }[] }): Record<string, string> {
  return Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key, t.Value]));
}
