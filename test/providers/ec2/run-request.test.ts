import { describe, expect, it } from 'vitest';
import {
  buildRunInstancesInput,
  clientToken,
  type LaunchBatch,
} from '../../../src/providers/ec2/run-request.js';
import { readEc2CloudSettings, readEc2KindSettings } from '../../../src/providers/ec2/settings.js';
import { tagMap } from '../../../src/providers/ec2/tags.js';

const cloud = readEc2CloudSettings({
  name: 'aws',
  provider: 'ec2_boto',
  settings: { ec2_region: 'us-east-1' },
});

function batch(
  settings: Record<string, string | number | boolean>,
  count = 3,
  over: Partial<LaunchBatch> = {},
): LaunchBatch {
  const nodes = Array.from({ length: count }, (_, i) => ({
    name: `compute00${i + 1}`,
    cloudName: `lab-compute00${i + 1}`,
  }));
  return {
    cluster: { name: 'lab', id: '0a1b2c3d' },
    runId: 'run1',
    kind: 'compute',
    nodes,
    settings: readEc2KindSettings({ image_id: 'ami-1e749f67', flavor: 't3.micro', ...settings }, cloud, {
      cluster: 'lab',
      kind: 'compute',
    }),
    keyName: 'herd-lab',
    securityGroupId: 'sg-0123',
    subnetId: 'subnet-aaa',
    rootDevice: '/dev/xvda',
    ...over,
  };
}

describe('buildRunInstancesInput', () => {
  it('asks for every node of the batch at once, all or nothing, in the subnet and group', () => {
    const input = buildRunInstancesInput(batch({}));
    expect(input).toMatchObject({
      ImageId: 'ami-1e749f67',
      InstanceType: 't3.micro',
      MinCount: 3,
      MaxCount: 3,
      KeyName: 'herd-lab',
      SecurityGroupIds: ['sg-0123'],
      SubnetId: 'subnet-aaa',
    });
    for (const key of [
      'BlockDeviceMappings',
      'InstanceMarketOptions',
      'Placement',
      'IamInstanceProfile',
      'UserData',
    ])
      expect(input).not.toHaveProperty(key);
  });

  it('tags instances and volumes with the cluster name and id, kind, run and the batch node names', () => {
    const input = buildRunInstancesInput(batch({}));
    expect(input.TagSpecifications!.map((t) => t.ResourceType)).toEqual(['instance', 'volume']);
    for (const spec of input.TagSpecifications!) {
      expect(tagMap(spec.Tags)).toEqual({
        'herd:cluster': 'lab',
        'herd:cluster-id': '0a1b2c3d',
        'herd:kind': 'compute',
        'herd:run': 'run1',
        'herd:nodes': 'compute001..003',
      });
    }
  });

  it('tags a cluster from before ids with its name only', () => {
    const input = buildRunInstancesInput(batch({}, 3, { cluster: { name: 'lab', id: undefined } }));
    expect(tagMap(input.TagSpecifications![0]!.Tags)).not.toHaveProperty('herd:cluster-id');
    expect(tagMap(input.TagSpecifications![0]!.Tags)['herd:cluster']).toBe('lab');
  });

  it('puts Name and herd:node into the creation tags of a one-node batch', () => {
    const tags = tagMap(buildRunInstancesInput(batch({}, 1)).TagSpecifications![0]!.Tags);
    expect(tags).toMatchObject({ Name: 'lab-compute001', 'herd:node': 'compute001' });
  });

  it('maps boot_disk_* to the root device mapping (device from the AMI unless set)', () => {
    const input = buildRunInstancesInput(
      batch({ boot_disk_size: 40, boot_disk_type: 'io2', boot_disk_iops: 4000 }),
    );
    expect(input.BlockDeviceMappings).toEqual([
      {
        DeviceName: '/dev/xvda',
        Ebs: { DeleteOnTermination: true, VolumeSize: 40, VolumeType: 'io2', Iops: 4000 },
      },
    ]);
  });

  it('sets placement group, instance profile and base64 user data', () => {
    const input = buildRunInstancesInput(
      batch({ placement_group: 'hpc', instance_profile: 'nodes', image_userdata: '#!/bin/sh\necho hi\n' }),
    );
    expect(input.Placement).toEqual({ GroupName: 'hpc' });
    expect(input.IamInstanceProfile).toEqual({ Name: 'nodes' });
    expect(Buffer.from(input.UserData!, 'base64').toString()).toBe('#!/bin/sh\necho hi\n');
  });

  it.each([
    [{ price: 0.05 }, '0.05'],
    [{ spot: true }, undefined],
    [{ spot: true, price: 0.2 }, '0.2'],
  ])('asks for a one-time spot instance for %j (MaxPrice %s)', (settings, maxPrice) => {
    const input = buildRunInstancesInput(batch(settings));
    expect(input.InstanceMarketOptions).toEqual({
      MarketType: 'spot',
      SpotOptions: {
        SpotInstanceType: 'one-time',
        InstanceInterruptionBehavior: 'terminate',
        ...(maxPrice ? { MaxPrice: maxPrice } : {}),
      },
    });
  });

  it.each([
    ['stop', {}, 'stop'],
    ['terminate', {}, 'terminate'],
    [undefined, {}, undefined],
    // A spot instance can only terminate: EC2 refuses the setting on one.
    ['stop', { spot: true }, undefined],
  ] as const)('idle_action=%s on %j: InstanceInitiatedShutdownBehavior %s', (action, settings, expected) => {
    const input = buildRunInstancesInput(batch(settings, 1, { shutdownAction: action }));
    expect(input.InstanceInitiatedShutdownBehavior).toBe(expected);
  });

  it('stays on demand with price=0, and records the spot timeout in a tag', () => {
    expect(buildRunInstancesInput(batch({ price: 0 }))).not.toHaveProperty('InstanceMarketOptions');
    const tags = tagMap(
      buildRunInstancesInput(batch({ spot: true, timeout: 300 })).TagSpecifications![0]!.Tags,
    );
    expect(tags['herd:spot-timeout']).toBe('300');
  });

  it('uses the cloud-wide spot settings unless the kind overrides them', () => {
    const spotCloud = readEc2CloudSettings({
      name: 'aws',
      provider: 'ec2_boto',
      settings: { ec2_region: 'us-east-1', price: 0.3, timeout: 120, instance_profile: 'cloudwide' },
    });
    const kind = readEc2KindSettings({ image_id: 'ami-1', flavor: 't3.micro' }, spotCloud, {
      cluster: 'c',
      kind: 'k',
    });
    expect(kind.spot).toEqual({ maxPrice: '0.3', timeoutSeconds: 120 });
    expect(kind.instanceProfile).toBe('cloudwide');
    const onDemand = readEc2KindSettings({ image_id: 'ami-1', flavor: 't3.micro', price: 0 }, spotCloud, {
      cluster: 'c',
      kind: 'k',
    });
    expect(onDemand.spot).toBeUndefined();
  });
});

describe('clientToken', () => {
  it('is the same for the same batch and differs when anything that defines it differs', () => {
    const base = batch({});
    const token = clientToken(base);
    expect(clientToken(batch({}))).toBe(token);
    expect(token.length).toBeLessThanOrEqual(64);
    expect(token).toMatch(/^[\x21-\x7e]+$/);
    const variants: Partial<LaunchBatch>[] = [
      { cluster: { name: 'lab2', id: '0a1b2c3d' } },
      { cluster: { name: 'lab', id: '9f8e7d6c' } },
      { runId: 'run2' },
      { kind: 'frontend' },
      { subnetId: 'subnet-bbb' },
      { subnetId: undefined },
      { nodes: base.nodes.slice(0, 2) },
    ];
    for (const v of variants) expect(clientToken({ ...base, ...v })).not.toBe(token);
  });
});
