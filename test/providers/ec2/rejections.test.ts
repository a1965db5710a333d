/**
 * Values EC2 refuses, refused for real by moto with its validations on (unknown AMI, instance type, key
 * pair, instance profile): the nodes fail with a message naming the config key, and nothing is left.
 */
import { DeleteKeyPairCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderError } from '../../../src/errors.js';
import type { CreateNodesRequest } from '../../../src/providers/types.js';
import { AMI, type Ec2TestEnv, LAB, MOTO_VALIDATION, nodeSpecs, startEc2Env } from './fixture.js';

let env: Ec2TestEnv;
beforeAll(async () => {
  env = await startEc2Env(MOTO_VALIDATION);
});
afterAll(async () => {
  await env?.stop();
});
beforeEach(async () => {
  await env.reset();
});

function request(settings: Record<string, string | number>): CreateNodesRequest {
  return {
    cluster: LAB,
    runId: 'run1',
    template: 'lab',
    kind: 'compute',
    nodes: nodeSpecs(LAB, 'compute', 2),
    settings: { image_id: AMI, flavor: 't3.micro', ...settings },
    login: { user: 'admin', publicKey: env.publicKey, keyName: undefined },
  };
}

async function failure(settings: Record<string, string | number>, before?: () => Promise<void>) {
  const { provider } = await env.provider();
  const req = request(settings);
  await provider.prepare(LAB, req.login);
  await before?.();
  const result = await provider.createNodes(req);
  expect(result.created).toEqual([]);
  expect(result.failed.map((f) => f.name)).toEqual(['compute001', 'compute002']);
  expect(await env.liveInstances('lab')).toEqual([]);
  return result.failed[0]!.error as ProviderError;
}

describe('values EC2 refuses', () => {
  it('a valid request works with validation on', async () => {
    const { provider } = await env.provider();
    const req = request({});
    await provider.prepare(LAB, req.login);
    expect((await provider.createNodes(req)).created).toHaveLength(2);
  });

  it('an unknown AMI names image_id and the region', async () => {
    const error = await failure({ image_id: 'ami-12345678' });
    expect(error.code).toBe('Ec2ImageNotFound');
    expect(error.message).toMatch(
      /^\[cluster\/lab\] image_id=ami-12345678 \(kind compute\): InvalidAMIID.NotFound/,
    );
    expect(error.hint).toMatch(/ec2_region=us-east-1/);
  });

  it('an unknown AMI needed for boot_disk_size is refused before RunInstances', async () => {
    const error = await failure({ image_id: 'ami-12345678', boot_disk_size: 20 });
    expect(error.code).toBe('Ec2ImageNotFound');
    expect(env.proxy.counts()['RunInstances']).toBeUndefined();
  });

  it('an unknown instance type names flavor', async () => {
    const error = await failure({ flavor: 't3.gigantic' });
    expect(error.code).toBe('Ec2FlavorInvalid');
    expect(error.message).toMatch(/^\[cluster\/lab\] flavor=t3.gigantic \(kind compute\)/);
  });

  it("a key pair deleted behind herd's back names the key pair", async () => {
    const error = await failure({}, async () => {
      await env.ec2.send(new DeleteKeyPairCommand({ KeyName: 'herd-lab-0a1b2c3d' }));
    });
    expect(error.code).toBe('Ec2KeyPairInvalid');
    expect(error.message).toMatch(/Key pair herd-lab-0a1b2c3d in ec2_region=us-east-1/);
  });

  it('an unknown instance profile names instance_profile', async () => {
    const error = await failure({ instance_profile: 'no-such-profile' });
    expect(error.code).toBe('Ec2InstanceProfileInvalid');
    expect(error.message).toMatch(/instance_profile=no-such-profile/);
  });

  it('an unknown security group id names security_group', async () => {
    const error = await failure({ security_group: 'sg-0123456789abcdef0' });
    expect(error.code).toBe('Ec2SecurityGroupNotFound');
    expect(error.message).toMatch(
      /\[cluster\/lab\] security_group=sg-0123456789abcdef0: no such group in vpc-/,
    );
  });
});
