import type { Instance } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { lifecycleOf, statusOf } from '../../../src/providers/ec2/status.js';

describe('lifecycleOf', () => {
  it.each([
    ['pending', 'pending'],
    ['running', 'running'],
    ['stopping', 'stopping'],
    ['stopped', 'stopped'],
    // On its way out but still there: stop --wait keeps waiting.
    ['shutting-down', 'stopping'],
    ['terminated', 'terminated'],
    ['rebooting?', 'unknown'],
  ])('%s -> %s', (ec2, herd) => {
    expect(lifecycleOf(ec2)).toBe(herd);
  });
});

describe('statusOf', () => {
  const base: Instance = {
    InstanceId: 'i-1',
    InstanceType: 't3.micro',
    State: { Name: 'running' },
    PrivateIpAddress: '10.0.1.4',
    PublicIpAddress: '203.0.113.9',
    AmiLaunchIndex: 1,
    NetworkInterfaces: [
      { PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.4' }, { PrivateIpAddress: '10.0.1.50' }] },
      { PrivateIpAddresses: [{ PrivateIpAddress: '10.0.2.7' }] },
    ],
    Tags: [
      { Key: 'herd:cluster', Value: 'lab' },
      { Key: 'herd:nodes', Value: 'compute001..002' },
    ],
  };

  it('reports every private IP (primary first), the public IP, the flavor and the name from the launch index', () => {
    expect(statusOf(base)).toEqual({
      instanceId: 'i-1',
      name: 'compute002',
      state: 'running',
      publicIps: ['203.0.113.9'],
      privateIps: ['10.0.1.4', '10.0.1.50', '10.0.2.7'],
      flavor: 't3.micro',
    });
  });

  it('gives the state reason of a node that ended without being asked to', () => {
    const status = statusOf({
      ...base,
      State: { Name: 'terminated' },
      StateReason: { Code: 'Server.SpotInstanceTermination', Message: 'Spot capacity reclaimed' },
    });
    expect(status.state).toBe('terminated');
    expect(status.reason).toBe('Server.SpotInstanceTermination: Spot capacity reclaimed');
    const asked = statusOf({
      ...base,
      State: { Name: 'terminated' },
      StateReason: { Code: 'Client.UserInitiatedShutdown', Message: 'User initiated shutdown' },
    });
    expect(asked.reason).toBeUndefined();
  });

  it('fails a spot instance still pending after its timeout', () => {
    const launched = new Date('2030-01-01T00:00:00Z');
    const pending: Instance = {
      ...base,
      State: { Name: 'pending' },
      LaunchTime: launched,
      Tags: [...base.Tags!, { Key: 'herd:spot-timeout', Value: '60' }],
    };
    expect(statusOf(pending, launched.getTime() + 59_000).state).toBe('pending');
    const late = statusOf(pending, launched.getTime() + 61_000);
    expect(late.state).toBe('error');
    expect(late.reason).toMatch(/spot instance was not running within timeout=60 s/);
  });
});
