/**
 * The EC2 preflight against moto_server through the counting proxy: what it reports, and that every
 * call it makes is a read (Describe*): nothing is created, whatever the outcome.
 */
import { CreateSecurityGroupCommand, ImportKeyPairCommand } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PreflightReport, PreflightRequest } from '../../../src/providers/types.js';
import { AMI, type Ec2TestEnv, startEc2Env } from './fixture.js';

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
afterEach(() => {
  // The contract: read-only calls only, in every test of this file.
  const actions = Object.keys(env.proxy.counts());
  expect(
    actions.filter((a) => !a.startsWith('Describe')),
    'mutating EC2 calls',
  ).toEqual([]);
});

function request(
  overrides: Partial<PreflightRequest> = {},
  settings: Record<string, string> = {},
): PreflightRequest {
  return {
    cluster: { name: 'lab', id: '1a2b3c4d' },
    template: 'labtpl',
    login: { user: 'admin', publicKey: env.publicKey, keyName: undefined },
    kinds: [
      { kind: 'frontend', count: 1, settings: { image_id: AMI, flavor: 't3.micro', ...settings } },
      { kind: 'compute', count: 2, settings: { image_id: AMI, flavor: 't3.small', ...settings } },
    ],
    ...overrides,
  };
}

async function preflight(
  req: PreflightRequest,
  cloud: Record<string, string> = {},
): Promise<PreflightReport> {
  const { provider } = await env.provider(cloud);
  return provider.preflight!(req);
}

const status = (report: PreflightReport) =>
  report.checks.map((c) => `${c.status} ${c.id}${c.kind ? ` ${c.kind}` : ''}`);

describe('EC2 preflight', () => {
  it('checks credentials, region, AMI and instance types, and plans the key pair and security group', async () => {
    const report = await preflight(request());
    expect(status(report)).toEqual([
      'ok credentials',
      'ok region',
      'ok image frontend',
      'ok flavor frontend',
      'ok image compute',
      'ok flavor compute',
      'ok quota',
    ]);
    expect(report.checks.find((c) => c.id === 'flavor' && c.kind === 'compute')!.message).toBe(
      'flavor=t3.small: 2 vCPU, 2.0 GiB',
    );
    expect(report.checks.find((c) => c.id === 'region')!.message).toMatch(
      /^ec2_region=us-east-1: zones us-east-1a/,
    );
    expect(report.resources).toEqual([
      {
        type: 'key-pair',
        name: 'herd-lab-1a2b3c4d',
        action: 'create',
        detail: "imported from the cluster's public key",
      },
      expect.objectContaining({ type: 'security-group', name: 'herd-lab-1a2b3c4d', action: 'create' }),
    ]);
    expect(report.kinds.map((k) => [k.kind, k.flavor, k.securityGroups])).toEqual([
      ['frontend', 't3.micro', ['herd-lab-1a2b3c4d']],
      ['compute', 't3.small', ['herd-lab-1a2b3c4d']],
    ]);
    expect(report.kinds[0]!.placement).toMatch(/^vpc-[0-9a-f]+ \(EC2 picks a default subnet\)$/);
    // One lookup per AMI and instance type, however many kinds use them.
    expect(env.proxy.counts()['DescribeImages']).toBe(1);
    expect(env.proxy.counts()['RunInstances']).toBeUndefined();
    expect(await env.keyPairs()).toEqual([]);
    expect(await env.groups('lab')).toEqual([]);
  });

  it('reports an unknown AMI and instance type with the config key to fix', async () => {
    const report = await preflight(request({}, { image_id: 'ami-12345678', flavor: 't9.huge' }));
    const image = report.checks.find((c) => c.id === 'image' && c.kind === 'frontend')!;
    expect(image).toMatchObject({ status: 'fail' });
    expect(image.message).toContain('[cluster/labtpl] image_id=ami-12345678 (kind frontend)');
    expect(image.hint).toContain('AMIs are per region');
    const flavor = report.checks.find((c) => c.id === 'flavor' && c.kind === 'compute')!;
    expect(flavor.status).toBe('fail');
    expect(flavor.message).toContain('flavor=t9.huge');
  });

  it('uses what exists: a matching key pair and a named security group', async () => {
    await env.ec2.send(
      new ImportKeyPairCommand({
        KeyName: 'herd-lab-1a2b3c4d',
        PublicKeyMaterial: Buffer.from(env.publicKey),
      }),
    );
    await env.ec2.send(new CreateSecurityGroupCommand({ GroupName: 'hpc', Description: 'x' }));
    env.proxy.resetCounts();
    const report = await preflight(request({}, { security_group: 'hpc' }));
    expect(report.checks.find((c) => c.id === 'key-pair')).toMatchObject({ status: 'ok' });
    expect(report.resources.map((r) => [r.type, r.action])).toEqual([
      ['key-pair', 'use'],
      ['security-group', 'use'],
    ]);
    expect(report.resources[1]!.name).toMatch(/^hpc \(sg-[0-9a-f]+\)$/);
  });

  it('fails a key pair holding another key, a missing user_key_name, a missing group id and subnet', async () => {
    await env.ec2.send(
      new ImportKeyPairCommand({
        KeyName: 'herd-lab-1a2b3c4d',
        PublicKeyMaterial: Buffer.from(env.otherPublicKey),
      }),
    );
    const mismatch = await preflight(request());
    expect(mismatch.checks.find((c) => c.id === 'key-pair')).toMatchObject({ status: 'fail' });
    expect(mismatch.checks.find((c) => c.id === 'key-pair')!.message).toContain('exists with another key');

    const named = await preflight(
      request(
        { login: { user: 'admin', publicKey: env.publicKey, keyName: 'nope' } },
        { security_group: 'sg-0123abcd' },
      ),
    );
    expect(named.checks.find((c) => c.id === 'key-pair')!.message).toBe(
      'user_key_name=nope: no such key pair in this region',
    );
    expect(named.checks.find((c) => c.id === 'security-group')).toMatchObject({
      status: 'fail',
      kind: 'frontend',
    });

    const subnet = await preflight(request({}, { network_ids: 'subnet-0000dead' }));
    const network = subnet.checks.find((c) => c.id === 'network')!;
    expect(network.status).toBe('fail');
    expect(network.message).toContain('network_ids=subnet-0000dead');
  });

  it('stops at refused credentials, with one call and a hint', async () => {
    env.proxy.failAction('DescribeAvailabilityZones', {
      code: 'AuthFailure',
      message: 'AWS was not able to validate the provided access credentials',
    });
    const report = await preflight(request());
    expect(status(report)).toEqual(['fail credentials']);
    expect(report.checks[0]!.message).toContain('EC2 refused the credentials in ec2_region=us-east-1');
    expect(report.checks[0]!.hint).toContain('ec2_access_key');
    expect(env.proxy.counts()).toEqual({ DescribeAvailabilityZones: 1 });
  });

  it('without kinds checks only the account', async () => {
    const report = await preflight(request({ kinds: [] }));
    expect(status(report)).toEqual(['ok credentials', 'ok region']);
    expect(env.proxy.counts()).toEqual({ DescribeAvailabilityZones: 1 });
  });
});
