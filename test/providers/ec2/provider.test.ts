/**
 * The EC2 provider against moto_server (a real EC2 API implementation), through the counting proxy:
 * key pair, security group, one RunInstances per kind, tags, describe/find, terminate and cleanup.
 */
import {
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  ImportKeyPairCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { type Ec2Api, ec2ApiOf } from '../../../src/providers/ec2/api.js';
import type { ClusterRef, CreateNodesRequest, Provider } from '../../../src/providers/types.js';
import { AMI, type Ec2TestEnv, LAB, nodeSpecs, startEc2Env, tagsOf } from './fixture.js';

let env: Ec2TestEnv;
beforeAll(async () => {
  env = await startEc2Env();
});
afterAll(async () => {
  await env?.stop();
});
beforeEach(async () => {
  await env.reset();
});

function login(keyName?: string) {
  return { user: 'admin', publicKey: env.publicKey, keyName };
}

function request(
  kind: string,
  n: number,
  settings: Record<string, string | number | boolean> = {},
  first = 1,
): CreateNodesRequest {
  return {
    cluster: LAB,
    runId: 'run1',
    template: 'lab',
    kind,
    nodes: nodeSpecs(LAB, kind, n, first),
    settings: { image_id: AMI, flavor: 't3.micro', ...settings },
    login: login(),
  };
}

async function started(provider: Provider, req: CreateNodesRequest) {
  await provider.prepare(req.cluster, req.login);
  const result = await provider.createNodes(req);
  expect(result.failed).toEqual([]);
  return result.created;
}

describe('prepare: the key pair', () => {
  it('imports herd-<cluster> tagged with the cluster, and only once', async () => {
    const { provider } = await env.provider();
    await provider.prepare(LAB, login());
    expect(await env.clusterKeyPairs('lab')).toEqual(['herd-lab-0a1b2c3d']);
    const again = await env.provider();
    await again.provider.prepare(LAB, login());
    expect(env.proxy.counts()['ImportKeyPair']).toBe(1);
  });

  it('refuses a pair of that name holding another key, and says what to do', async () => {
    await env.ec2.send(
      new ImportKeyPairCommand({
        KeyName: 'herd-lab-0a1b2c3d',
        PublicKeyMaterial: Buffer.from(env.otherPublicKey),
      }),
    );
    const { provider } = await env.provider();
    const error = await provider.prepare(LAB, login()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe('Ec2KeyPairMismatch');
    expect((error as Error).message).toMatch(
      /Key pair "herd-lab-0a1b2c3d" .* exists in EC2 with another key/,
    );
    expect((error as ProviderError).hint).toMatch(/delete-key-pair --key-name herd-lab-0a1b2c3d/);
  });

  it('imports a user-named pair untagged, so that cleanup never deletes it', async () => {
    const { provider } = await env.provider();
    await provider.prepare(LAB, login('alice'));
    expect(await env.keyPairs()).toEqual(['alice']);
    expect(await env.clusterKeyPairs('lab')).toEqual([]);
    await provider.cleanup(LAB);
    expect(await env.keyPairs()).toEqual(['alice']);
  });
});

describe('createNodes', () => {
  it('creates 3 nodes with one RunInstances, names and tags each instance and its volume', async () => {
    const { provider } = await env.provider();
    const created = await started(provider, request('compute', 3));
    const counts = env.proxy.counts();
    expect(counts['RunInstances']).toBe(1);
    expect(counts['CreateTags']).toBe(3);
    expect(created.map((c) => c.name)).toEqual(['compute001', 'compute002', 'compute003']);

    const instances = await env.instances('lab');
    expect(instances).toHaveLength(3);
    const byNode = new Map(instances.map((i) => [tagsOf(i)['herd:node'], i]));
    for (const c of created) {
      const instance = byNode.get(c.name)!;
      expect(instance.InstanceId).toBe(c.instanceId);
      expect(tagsOf(instance)).toMatchObject({
        Name: `lab-0a1b2c3d-${c.name}`,
        'herd:cluster': 'lab',
        'herd:kind': 'compute',
        'herd:run': 'run1',
        'herd:nodes': 'compute001..003',
      });
      expect(instance.KeyName).toBe('herd-lab-0a1b2c3d');
    }
    expect(await env.volumes('lab')).toHaveLength(3);
  });

  it("creates herd's security group in the default VPC with SSH from ssh_cidr and traffic between members", async () => {
    const { provider } = await env.provider({ ssh_cidr: '198.51.100.0/24' });
    const created = await started(provider, request('compute', 1));
    const groups = await env.ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:herd:cluster', Values: ['lab'] }] }),
    );
    const group = groups.SecurityGroups![0]!;
    expect(group.GroupName).toBe('herd-lab-0a1b2c3d');
    expect(group.IpPermissions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          IpProtocol: 'tcp',
          FromPort: 22,
          ToPort: 22,
          IpRanges: [expect.objectContaining({ CidrIp: '198.51.100.0/24' })],
        }),
        expect.objectContaining({
          IpProtocol: '-1',
          UserIdGroupPairs: [expect.objectContaining({ GroupId: group.GroupId })],
        }),
      ]),
    );
    const [instance] = await env.instances('lab');
    expect(instance!.SecurityGroups!.map((g) => g.GroupId)).toEqual([group.GroupId]);
    expect(created[0]!.instanceId).toBe(instance!.InstanceId);
  });

  it('creates one group for two kinds launched in parallel', async () => {
    const { provider } = await env.provider();
    await provider.prepare(LAB, login());
    const [a, b] = await Promise.all([
      provider.createNodes(request('frontend', 1)),
      provider.createNodes(request('compute', 2)),
    ]);
    expect([...a.created, ...b.created]).toHaveLength(3);
    expect(env.proxy.counts()['CreateSecurityGroup']).toBe(1);
    expect(env.proxy.counts()['RunInstances']).toBe(2);
  });

  it('sizes the root disk on the AMI root device and sends the spot request', async () => {
    const { provider } = await env.provider();
    const seen: URLSearchParams[] = [];
    env.proxy.onAction('RunInstances', 'before', (p) => {
      seen.push(p);
    });
    await started(
      provider,
      request('compute', 2, {
        boot_disk_size: 30,
        boot_disk_type: 'gp3',
        spot: true,
        price: 0.05,
        timeout: 300,
      }),
    );
    expect(env.proxy.counts()['DescribeImages']).toBe(1);
    const p = seen[0]!;
    expect(p.get('BlockDeviceMapping.1.DeviceName')).toBe('/dev/sda1');
    expect(p.get('InstanceMarketOptions.MarketType')).toBe('spot');
    expect(p.get('InstanceMarketOptions.SpotOptions.SpotInstanceType')).toBe('one-time');
    expect(p.get('InstanceMarketOptions.SpotOptions.MaxPrice')).toBe('0.05');
    const volumes = await env.volumes('lab');
    expect(volumes.map((v) => [v.size, v.type])).toEqual([
      [30, 'gp3'],
      [30, 'gp3'],
    ]);
    const instances = await env.instances('lab');
    expect(instances.map((i) => i.InstanceLifecycle)).toEqual(['spot', 'spot']);
    expect(tagsOf(instances[0]!)['herd:spot-timeout']).toBe('300');
  });

  it('launches into subnets given by Name tag in a VPC given by Name tag', async () => {
    const net = await env.network('10.86.0.0/16', [{ cidr: '10.86.1.0/24', name: 'lab-a' }], 'labnet');
    const { provider } = await env.provider({ vpc: 'labnet' });
    const created = await started(provider, request('compute', 2, { network_ids: 'lab-a' }));
    expect(created.map((c) => c.privateIps)).toEqual([['10.86.1.4'], ['10.86.1.5']]);
    const instances = await env.instances('lab');
    expect(new Set(instances.map((i) => i.SubnetId))).toEqual(new Set(net.subnetIds));
    const groups = await env.ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:herd:cluster', Values: ['lab'] }] }),
    );
    expect(groups.SecurityGroups!.map((g) => g.VpcId)).toEqual([net.vpcId]);
  });

  it('names unknown subnets and VPCs with the key to fix', async () => {
    await env.network('10.86.0.0/16', [{ cidr: '10.86.1.0/24', name: 'lab-a' }], 'labnet');
    const { provider } = await env.provider();
    await provider.prepare(LAB, login());
    const result = await provider.createNodes(
      request('compute', 2, { network_ids: 'lab-a,nope,subnet-0123abcd' }),
    );
    expect(result.created).toEqual([]);
    expect(result.failed.map((f) => f.name)).toEqual(['compute001', 'compute002']);
    expect(result.failed[0]!.error.message).toMatch(
      /\[cluster\/lab\] network_ids=lab-a,nope,subnet-0123abcd: nope: no such subnet; subnet-0123abcd: no such subnet/,
    );
    const vpc = await env.provider({ vpc: 'elsewhere' });
    const failed = await vpc.provider.createNodes(request('compute', 1, { network_ids: 'lab-a' }));
    expect(failed.failed[0]!.error.message).toMatch(
      /\[cloud\/aws\] vpc=elsewhere: no VPC with this id or Name tag/,
    );
    expect(await env.instances('lab')).toEqual([]);
  });

  it('uses an existing security group by name without changing it, and never deletes it', async () => {
    await env.ec2.send(new CreateSecurityGroupCommand({ GroupName: 'mine', Description: 'user group' }));
    const { provider } = await env.provider();
    await started(provider, request('compute', 1, { security_group: 'mine' }));
    expect(env.proxy.counts()['CreateSecurityGroup']).toBeUndefined();
    expect(env.proxy.counts()['AuthorizeSecurityGroupIngress']).toBeUndefined();
    const [instance] = await env.instances('lab');
    await provider.terminateNodes(LAB, [instance!.InstanceId!]);
    await provider.cleanup(LAB);
    const mine = await env.ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['mine'] }] }),
    );
    expect(mine.SecurityGroups).toHaveLength(1);
  });

  it('names an instance whose per-node tags were never written by its launch index', async () => {
    env.proxy.failAction('CreateTags', { code: 'InvalidParameterValue' });
    const { provider, log } = await env.provider();
    const created = await started(provider, request('compute', 3, {}, 4));
    expect(log.lines.filter((l) => l.startsWith('warn: Could not tag'))).toHaveLength(3);
    const found = await provider.findNodes(LAB);
    expect(found.map((f) => [f.instanceId, f.name]).sort()).toEqual(
      created.map((c) => [c.instanceId, c.name]).sort(),
    );
    expect(found.map((f) => f.name).sort()).toEqual(['compute004', 'compute005', 'compute006']);
  });
});

describe('describeNodes and findNodes', () => {
  it('report state, IPs and flavor in one DescribeInstances; unknown ids are terminated', async () => {
    const { provider } = await env.provider();
    const created = await started(provider, request('compute', 2));
    env.proxy.resetCounts();
    const ids = [...created.map((c) => c.instanceId), 'i-0123456789abcdef0'];
    const statuses = await provider.describeNodes(LAB, ids);
    expect(env.proxy.counts()).toEqual({ DescribeInstances: 1 });
    expect(statuses.map((s) => [s.name, s.state, s.flavor])).toEqual([
      ['compute001', 'running', 't3.micro'],
      ['compute002', 'running', 't3.micro'],
      [undefined, 'terminated', undefined],
    ]);
    expect(statuses[0]!.privateIps[0]).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    env.proxy.resetCounts();
    const found = await provider.findNodes(LAB);
    expect(env.proxy.counts()).toEqual({ DescribeInstances: 1 });
    expect(found.map((f) => f.name).sort()).toEqual(['compute001', 'compute002']);
    expect(await (await env.provider()).provider.findNodes({ name: 'other', id: undefined })).toEqual([]);
  });

  it('treats an instance EC2 does not list yet, right after launching it, as pending', async () => {
    const real = ec2ApiOf(
      new EC2Client({
        endpoint: env.moto.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      }),
    );
    try {
      // Eventual consistency: DescribeInstances does not list new instances for a moment.
      const lagging: Ec2Api = { ...real, describeInstances: async () => [] };
      const { provider } = await env.provider({}, { api: lagging });
      const created = await started(provider, request('compute', 1));
      const [status] = await provider.describeNodes(LAB, [created[0]!.instanceId]);
      expect(status!.state).toBe('pending');
      const { provider: later } = await env.provider({}, { api: lagging, consistencyWindowMs: 0 });
      const [gone] = await later.describeNodes(LAB, [created[0]!.instanceId]);
      expect(gone!.state).toBe('terminated');
    } finally {
      real.destroy();
    }
  });

  it('stops and starts nodes', async () => {
    const { provider } = await env.provider();
    const created = await started(provider, request('compute', 1));
    const id = created[0]!.instanceId;
    await provider.stopNodes!(LAB, [id]);
    expect((await provider.describeNodes(LAB, [id]))[0]!.state).toBe('stopped');
    await provider.startNodes!(LAB, [id]);
    expect((await provider.describeNodes(LAB, [id]))[0]!.state).toMatch(/pending|running/);
  });
});

describe('terminateNodes and cleanup', () => {
  it("terminate (also ids already gone), then cleanup removes herd's group and key pair", async () => {
    const { provider } = await env.provider();
    const created = await started(provider, request('compute', 3));
    const ids = created.map((c) => c.instanceId);
    await provider.terminateNodes(LAB, [...ids, 'i-0123456789abcdef0']);
    expect(await env.liveInstances('lab')).toEqual([]);
    expect(await provider.findNodes(LAB)).toEqual([]);
    expect((await provider.describeNodes(LAB, ids)).map((s) => s.state)).toEqual([
      'terminated',
      'terminated',
      'terminated',
    ]);
    await provider.terminateNodes(LAB, ids);
    await provider.cleanup(LAB);
    expect(await env.groups('lab')).toEqual([]);
    expect(await env.keyPairs()).toEqual([]);
  });

  it('retries a group still in use, then warns with the command that deletes it', async () => {
    const { provider } = await env.provider();
    await started(provider, request('compute', 1));
    env.proxy.failAction('DeleteSecurityGroup', { code: 'DependencyViolation', times: 2 });
    await provider.cleanup(LAB);
    expect(env.proxy.counts()['DeleteSecurityGroup']).toBe(3);
    expect(await env.groups('lab')).toEqual([]);

    const second = await env.provider({}, { securityGroupDeleteTimeoutMs: 300 });
    await started(second.provider, request('compute', 1));
    env.proxy.failAction('DeleteSecurityGroup', { code: 'DependencyViolation' });
    await second.provider.cleanup(LAB);
    expect(await env.groups('lab')).toEqual(['herd-lab-0a1b2c3d']);
    expect(second.log.lines.join('\n')).toMatch(
      /warn: Security group herd-lab-0a1b2c3d \(sg-\w+\) of cluster "lab" \(id 0a1b2c3d\) is still in use .* aws ec2 delete-security-group --group-id sg-\w+ --region us-east-1/,
    );
  });
});

describe('request_floating_ip', () => {
  it('gives a running node without public IP an Elastic IP, and releases it on terminate', async () => {
    await env.network('10.86.0.0/16', [{ cidr: '10.86.1.0/24', name: 'lab-a' }]);
    const { provider } = await env.provider({ request_floating_ip: true });
    const created = await started(provider, request('compute', 2, { network_ids: 'lab-a' }));
    expect(created.every((c) => c.publicIps.length === 0)).toBe(true);
    const ids = created.map((c) => c.instanceId);
    const statuses = await provider.describeNodes(LAB, ids);
    const addresses = await env.addresses('lab');
    expect(addresses.map((a) => a.instanceId).sort()).toEqual([...ids].sort());
    for (const s of statuses) {
      expect(s.publicIps).toEqual([addresses.find((a) => a.instanceId === s.instanceId)!.ip]);
    }
    env.proxy.resetCounts();
    await provider.describeNodes(LAB, ids);
    expect(env.proxy.counts()['AllocateAddress']).toBeUndefined();

    await provider.terminateNodes(LAB, [ids[0]!]);
    expect((await env.addresses('lab')).map((a) => a.instanceId)).toEqual([ids[1]]);
    await provider.terminateNodes(LAB, [ids[1]!]);
    await provider.cleanup(LAB);
    expect(await env.addresses('lab')).toEqual([]);
  });
});

describe('credentials and errors', () => {
  it('reports refused credentials with the keys to check, without a stack in the message', async () => {
    env.proxy.failAction('DescribeKeyPairs', {
      code: 'AuthFailure',
      message: 'AWS was not able to validate the provided access credentials',
    });
    const { provider } = await env.provider();
    const error = await provider.prepare(LAB, login()).catch((e: unknown) => e);
    expect((error as ProviderError).code).toBe('Ec2AuthFailed');
    expect((error as Error).message).toMatch(
      /\[cloud\/aws\] EC2 refused the credentials in ec2_region=us-east-1: AuthFailure/,
    );
    expect((error as ProviderError).hint).toMatch(/ec2_access_key/);
  });

  it('reports missing credentials with every way to give them', async () => {
    const saved = { ...process.env };
    try {
      for (const k of [
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_SESSION_TOKEN',
        'AWS_PROFILE',
        'AWS_WEB_IDENTITY_TOKEN_FILE',
        'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
        'AWS_CONTAINER_CREDENTIALS_FULL_URI',
      ])
        delete process.env[k];
      // Keep the default chain on this host: no shared files, no instance metadata service.
      process.env['AWS_SHARED_CREDENTIALS_FILE'] = '/nonexistent/credentials';
      process.env['AWS_CONFIG_FILE'] = '/nonexistent/config';
      process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
      const { provider } = await env.provider({ ec2_access_key: '', ec2_secret_key: '' });
      const error = await provider.prepare(LAB, login()).catch((e: unknown) => e);
      expect((error as ProviderError).code).toBe('Ec2CredentialsMissing');
      expect((error as ProviderError).hint).toMatch(/ec2_access_key and ec2_secret_key/);
      expect(env.proxy.counts()).toEqual({});
    } finally {
      process.env = saved;
    }
  });
});

describe('cluster identity: one name, several clusters', () => {
  const OTHER: ClusterRef = { name: 'lab', id: '9f8e7d6c' };
  const LEGACY: ClusterRef = { name: 'lab', id: undefined };

  it('finds, describes, terminates and cleans up only what carries its own id', async () => {
    const mine = await env.provider();
    const other = await env.provider();
    const legacy = await env.provider();
    const [a] = await started(mine.provider, request('compute', 1));
    const [b] = await started(other.provider, {
      ...request('compute', 1),
      cluster: OTHER,
      nodes: nodeSpecs(OTHER, 'compute', 1),
    });
    const [c] = await started(legacy.provider, {
      ...request('compute', 1),
      cluster: LEGACY,
      nodes: nodeSpecs(LEGACY, 'compute', 1),
    });
    const ids = [a!.instanceId, b!.instanceId, c!.instanceId];
    expect(new Set(ids).size).toBe(3);
    // Each cluster imported its own key pair and created its own group.
    expect((await env.clusterKeyPairs('lab')).sort()).toEqual([
      'herd-lab',
      'herd-lab-0a1b2c3d',
      'herd-lab-9f8e7d6c',
    ]);

    const found = await mine.provider.findNodes(LAB);
    expect(found.map((f) => f.instanceId)).toEqual([a!.instanceId]);
    const warning = mine.log.lines.find((l) => l.startsWith('warn:') && l.includes('another herd cluster'));
    expect(warning).toContain(`${b!.instanceId} (lab-9f8e7d6c-compute001, cluster id 9f8e7d6c)`);
    expect(warning).toContain(`${c!.instanceId} (lab-compute001, no cluster id)`);
    // A cluster from before ids adopts by name only what carries no id.
    expect((await legacy.provider.findNodes(LEGACY)).map((f) => f.instanceId)).toEqual([c!.instanceId]);

    // Another cluster's instance is no status of ours, and is never terminated, even when named.
    expect((await mine.provider.describeNodes(LAB, [b!.instanceId]))[0]!.state).toBe('terminated');
    await mine.provider.terminateNodes(LAB, ids);
    expect((await env.liveInstances('lab')).map((i) => i.InstanceId).sort()).toEqual(
      [b!.instanceId, c!.instanceId].sort(),
    );
    await mine.provider.cleanup(LAB);
    expect((await env.clusterKeyPairs('lab')).sort()).toEqual(['herd-lab', 'herd-lab-9f8e7d6c']);
    expect((await env.groups('lab')).sort()).toEqual(['herd-lab', 'herd-lab-9f8e7d6c']);
  });

  it('releases only the Elastic IPs of its own id', async () => {
    await env.network('10.86.0.0/16', [{ cidr: '10.86.1.0/24', name: 'lab-a' }]);
    const mine = await env.provider({ request_floating_ip: true });
    const other = await env.provider({ request_floating_ip: true });
    const [a] = await started(mine.provider, request('compute', 1, { network_ids: 'lab-a' }));
    const [b] = await started(other.provider, {
      ...request('compute', 1, { network_ids: 'lab-a' }),
      cluster: OTHER,
      nodes: nodeSpecs(OTHER, 'compute', 1),
    });
    await mine.provider.describeNodes(LAB, [a!.instanceId]);
    await other.provider.describeNodes(OTHER, [b!.instanceId]);
    expect(await env.addresses('lab')).toHaveLength(2);
    await mine.provider.terminateNodes(LAB, [a!.instanceId]);
    await mine.provider.cleanup(LAB);
    expect((await env.addresses('lab')).map((x) => x.instanceId)).toEqual([b!.instanceId]);
  });
});
