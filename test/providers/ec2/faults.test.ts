/**
 * What moto cannot do by itself, injected by the fault proxy: throttling (retried by the SDK) and
 * capacity errors (failover to the next subnet of network_ids, one RunInstances per subnet tried).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CreateNodesRequest } from '../../../src/providers/types.js';
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

function request(n: number, networkIds?: string): CreateNodesRequest {
  return {
    cluster: LAB,
    runId: 'run1',
    template: 'lab',
    kind: 'compute',
    nodes: nodeSpecs(LAB, 'compute', n),
    settings: { image_id: AMI, flavor: 't3.micro', ...(networkIds ? { network_ids: networkIds } : {}) },
    login: { user: 'admin', publicKey: env.publicKey, keyName: undefined },
  };
}

describe('throttling', () => {
  it('retries RunInstances answered RequestLimitExceeded twice, then creates every node once', async () => {
    env.proxy.failAction('RunInstances', { code: 'RequestLimitExceeded', times: 2 });
    const { provider } = await env.provider();
    await provider.prepare(LAB, request(3).login);
    const result = await provider.createNodes(request(3));
    expect(result.failed).toEqual([]);
    expect(result.created).toHaveLength(3);
    expect(env.proxy.counts()['RunInstances']).toBe(3);
    expect(await env.liveInstances('lab')).toHaveLength(3);
  });

  it('retries throttled describe calls too', async () => {
    env.proxy.failAction('DescribeInstances', { code: 'RequestLimitExceeded', times: 1 });
    const { provider } = await env.provider();
    expect(await provider.findNodes(LAB)).toEqual([]);
    expect(env.proxy.counts()['DescribeInstances']).toBe(2);
  });
});

describe('capacity failover over network_ids', () => {
  it('moves the whole batch to the next subnet when the first has no capacity', async () => {
    const net = await env.network('10.86.0.0/16', [
      { cidr: '10.86.1.0/24', name: 'lab-a' },
      { cidr: '10.86.2.0/24', name: 'lab-b' },
    ]);
    const [a, b] = net.subnetIds as [string, string];
    env.proxy.failAction('RunInstances', {
      code: 'InsufficientInstanceCapacity',
      when: (p) => p.get('SubnetId') === a,
    });
    const { provider, log } = await env.provider();
    await provider.prepare(LAB, request(3).login);
    const result = await provider.createNodes(request(3, `${a},lab-b`));
    expect(result.failed).toEqual([]);
    expect(env.proxy.counts()['RunInstances']).toBe(2);
    const instances = await env.liveInstances('lab');
    expect(instances.map((i) => i.SubnetId)).toEqual([b, b, b]);
    expect(instances.map((i) => i.PrivateIpAddress).sort()).toEqual(['10.86.2.4', '10.86.2.5', '10.86.2.6']);
    expect(instances.map((i) => tagsOf(i)['herd:node']).sort()).toEqual([
      'compute001',
      'compute002',
      'compute003',
    ]);
    expect(log.lines.join('\n')).toMatch(
      /No capacity for compute nodes in subnet-\w+ in us-east-1\w: InsufficientInstanceCapacity: .*; trying the next subnet/,
    );
  });

  it('fails every node with a message naming every subnet tried when none has capacity', async () => {
    const net = await env.network('10.86.0.0/16', [
      { cidr: '10.86.1.0/24', name: 'lab-a' },
      { cidr: '10.86.2.0/24', name: 'lab-b' },
    ]);
    env.proxy.failAction('RunInstances', { code: 'InsufficientInstanceCapacity' });
    const { provider } = await env.provider();
    await provider.prepare(LAB, request(2).login);
    const result = await provider.createNodes(request(2, 'lab-a,lab-b'));
    expect(result.created).toEqual([]);
    expect(result.failed.map((f) => f.name)).toEqual(['compute001', 'compute002']);
    const message = result.failed[0]!.error.message;
    expect(message).toMatch(/no capacity for 2 x t3.micro \(kind compute\) in any of the 2 subnets tried/);
    for (const id of net.subnetIds) expect(message).toContain(id);
    expect(message).toContain('lab-a (');
    expect(message).toContain('lab-b (');
    expect((result.failed[0]!.error as { hint?: string }).hint).toMatch(/other availability zones/);
    expect(env.proxy.counts()['RunInstances']).toBe(2);
    expect(await env.liveInstances('lab')).toEqual([]);
  });

  it('does not fail over on errors another subnet cannot fix', async () => {
    await env.network('10.86.0.0/16', [
      { cidr: '10.86.1.0/24', name: 'lab-a' },
      { cidr: '10.86.2.0/24', name: 'lab-b' },
    ]);
    env.proxy.failAction('RunInstances', {
      code: 'InvalidAMIID.NotFound',
      message: "The image id '[ami-1e749f67]' does not exist",
    });
    const { provider } = await env.provider();
    await provider.prepare(LAB, request(1).login);
    const result = await provider.createNodes(request(1, 'lab-a,lab-b'));
    expect(env.proxy.counts()['RunInstances']).toBe(1);
    expect(result.failed[0]!.error.message).toMatch(
      /\[cluster\/lab\] image_id=ami-1e749f67 \(kind compute\)/,
    );
  });
});
